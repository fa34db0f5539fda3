"""Text: reading input, the sample generator, cleaning, entities, lemmas, preprocessing, embeddings."""
