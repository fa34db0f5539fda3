"""topic-curator's pure core: no UI and no cloud SDK; each room below has one job (README, "How it works")."""
