"""Realistic, seeded sample of sales-opportunity records with known use cases.

Real CRM exports cannot ship with the project, and nobody labels them, so there is no way to tell
whether a topic model found the "right" use cases. This module is the stand-in: it writes records
that look like what sales reps type (template boilerplate, URLs, e-mails, phone numbers, names,
money and dates, contractions, typos, shouting, empty cells) around vocabulary drawn from a known
three-level tree family > use case > sub-use-case (``USE_CASE_TREE``).

The ground truth stays in separate columns (``TRUTH_COLUMNS``) that the pipeline never reads as
text, so topic quality can be measured against it (for example NMI of clusters vs
``true_use_case``).

The same ``seed`` always gives the same table; everything random comes from one
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence, TypeVar

import numpy as np
import pandas as pd

from backend.settings import DEFAULT_TEXT_COLUMNS

__all__ = [
    "COLUMNS",
    "Family",
    "SubUseCase",
    "TEXT_COLUMNS",
    "TRUTH_COLUMNS",
    "USE_CASE_TREE",
    "UseCase",
    "generate_opportunities",
    "write_sample",
]


# --------------------------------------------------------------------------------------------
# The use-case tree
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubUseCase:
    """The finest level: a concrete piece of a use case, with its own vocabulary."""

    name: str
    phrases: tuple[str, ...]


@dataclass(frozen=True)
class UseCase:
    """What the customer wants the product for, with distinctive vocabulary."""

    name: str
    phrases: tuple[str, ...]
    sub_use_cases: tuple[SubUseCase, ...]


@dataclass(frozen=True)
class Family:
    """A group of related use cases (the coarsest level)."""

    name: str
    use_cases: tuple[UseCase, ...]


def _uc(name: str, phrases: tuple[str, ...], *subs: tuple[str, tuple[str, ...]]) -> UseCase:
    return UseCase(name, phrases, tuple(SubUseCase(n, p) for n, p in subs))


# Phrases are noun phrases, so any of them fits any sentence template below.
USE_CASE_TREE: tuple[Family, ...] = (
    Family("Customer Service Automation", (
        _uc("Chatbot for customer support", (
            "a customer-facing chatbot", "conversational AI for support",
            "a virtual agent on the website", "24/7 automated chat support",
            "a chatbot to deflect tier-1 tickets", "an AI assistant in the help widget",
            "a bot for order status questions", "automated answers in live chat",
            "a GenAI support bot", "chat deflection"),
            ("Self-service FAQ bot", (
                "an FAQ bot trained on help center articles",
                "self-service answers for common questions",
                "a bot for password and account questions",
                "deflecting repetitive how-to questions")),
            ("Live agent handoff", (
                "seamless bot-to-agent handoff", "escalation from the chatbot to a live agent",
                "passing the chat transcript to the human agent",
                "handoff rules when the bot is unsure")),
            ("Multilingual support bot", (
                "a chatbot that speaks Spanish, French and German", "multilingual chat support",
                "automatic translation inside the bot",
                "support for non-English customer conversations")),
        ),
        _uc("Ticket routing and triage", (
            "automatic ticket routing", "support ticket triage", "classifying incoming tickets",
            "routing emails to the right support queue", "fewer misrouted tickets",
            "ML-based case categorization", "auto-tagging of Zendesk tickets",
            "triage of the ticket backlog", "case routing rules in Service Cloud"),
            ("Intent classification", (
                "detecting ticket intent", "intent models for inbound emails",
                "classifying case reason codes", "tagging tickets by topic and product")),
            ("Priority scoring", (
                "urgency scoring for tickets", "SLA breach prediction",
                "flagging VIP and escalated cases", "priority prediction on new cases")),
            ("Auto-assignment to queues", (
                "skills-based assignment to agents", "auto-assigning tickets to queues",
                "load balancing across support tiers",
                "a replacement for round-robin ticket assignment")),
        ),
        _uc("Call center speech analytics", (
            "speech analytics for the call center", "analysis of recorded customer calls",
            "voice of the customer from call recordings", "a call analytics dashboard",
            "insights from phone conversations", "contact center conversation intelligence",
            "mining call recordings for complaints", "speech-to-text for support calls"),
            ("Call transcription", (
                "accurate call transcription", "transcribing 10k calls a month",
                "real-time speech-to-text", "call transcripts with speaker diarization")),
            ("Agent QA scoring", (
                "automated agent quality scoring", "QA scorecards for every call",
                "script adherence checks on calls", "coaching insights for call agents")),
            ("Customer sentiment tracking", (
                "sentiment analysis on calls", "detecting angry callers",
                "tracking caller emotion during the call", "call sentiment trends by queue")),
        ),
        _uc("Knowledge base search", (
            "semantic search over the knowledge base", "better help center search",
            "finding KB articles faster", "search across Confluence and SharePoint articles",
            "AI-powered knowledge management", "knowledge base answers for agents and customers",
            "unified search for support content", "retrieval over product documentation"),
            ("Agent assist answers", (
                "real-time answer suggestions for agents", "an agent assist sidebar",
                "suggested replies while working a case",
                "surfacing KB answers during live calls")),
            ("Article recommendation", (
                "recommending relevant KB articles", "article suggestions on the contact form",
                "identifying missing knowledge articles",
                "content gap analysis for the help center")),
        ),
    )),
    Family("Finance & Accounting", (
        _uc("Invoice processing automation", (
            "invoice processing automation", "automating accounts payable invoices",
            "touchless invoice processing", "AP automation",
            "capturing invoice data from PDFs", "less manual invoice entry",
            "processing 40k supplier invoices a year", "invoice data extraction into the ERP",
            "e-invoicing"),
            ("PO matching", (
                "three-way PO matching", "matching invoices to purchase orders and receipts",
                "PO match exceptions", "two-way and three-way match rules")),
            ("Vendor invoice OCR", (
                "OCR for vendor invoices", "extracting line items from scanned invoices",
                "reading invoice header fields", "handling low-quality invoice scans")),
            ("Approval workflow", (
                "an invoice approval workflow", "routing invoices to cost center approvers",
                "mobile invoice approvals for managers",
                "approval limits and delegation rules for invoices")),
        ),
        _uc("Fraud detection", (
            "fraud detection", "real-time fraud scoring", "detecting fraudulent transactions",
            "lower fraud losses", "anomaly detection on payments", "chargeback reduction",
            "a replacement for their fraud rules engine", "suspicious activity alerts",
            "fewer false positives in fraud alerts"),
            ("Payment fraud scoring", (
                "card-not-present fraud scoring", "scoring payments before authorization",
                "account takeover detection", "fraud scores in the checkout flow")),
            ("Expense fraud review", (
                "duplicate expense claim detection", "auditing employee expense reports",
                "spotting out-of-policy T&E spend", "receipt tampering checks")),
            ("Anti-money laundering monitoring", (
                "AML transaction monitoring", "KYC and sanctions screening",
                "suspicious activity report triage", "lower AML alert volume")),
        ),
        _uc("Financial close and reconciliation", (
            "a faster month-end close", "account reconciliation automation",
            "financial close management", "closing the books in fewer days",
            "reconciliation of GL accounts", "close checklist and task tracking",
            "matching transactions across ledgers", "fewer spreadsheet reconciliations"),
            ("Bank reconciliation", (
                "automated bank reconciliation", "matching bank statement lines to the GL",
                "cash reconciliation across 30 bank accounts", "clearing unreconciled bank items")),
            ("Intercompany eliminations", (
                "intercompany reconciliation", "intercompany eliminations across entities",
                "multi-entity consolidation", "resolving intercompany mismatches")),
            ("Journal entry automation", (
                "automated journal entries", "recurring accrual postings",
                "journal entry anomaly review", "JE upload templates")),
        ),
        _uc("Cash flow forecasting", (
            "cash flow forecasting", "a 13-week cash forecast", "predicting the cash position",
            "treasury forecasting", "working capital visibility",
            "forecasting receivables and payables", "liquidity forecasting",
            "better cash forecast accuracy"),
            ("Receivables collection prediction", (
                "predicting when customers will pay their invoices", "lower days sales outstanding",
                "collections prioritization", "late payment prediction")),
            ("Treasury liquidity planning", (
                "daily liquidity planning", "cash pooling decisions",
                "FX exposure in the cash forecast", "short-term borrowing needs")),
        ),
    )),
    Family("Supply Chain & Logistics", (
        _uc("Demand forecasting", (
            "demand forecasting", "ML-based demand forecasts", "better forecast accuracy",
            "a replacement for Excel-based demand planning", "weekly demand forecasts by store",
            "forecasting sales volumes", "demand sensing", "lower forecast error (MAPE)",
            "a statistical forecasting engine"),
            ("SKU-level forecasting", (
                "SKU-level forecasts across 50k items", "store-SKU forecasting",
                "long-tail SKU demand", "intermittent demand forecasting")),
            ("Promotion impact forecasting", (
                "forecasting promotion uplift", "promo lift modeling",
                "cannibalization from promotions", "seasonal event forecasting")),
            ("New product forecasting", (
                "forecasting new product launches", "demand for items without sales history",
                "like-item forecasting for new SKUs", "launch volume estimates")),
        ),
        _uc("Route optimization", (
            "route optimization", "optimized delivery routes", "fewer miles driven",
            "dispatch planning for drivers", "vehicle routing",
            "lower fuel costs through better routing", "dynamic route planning",
            "truck route scheduling", "on-time delivery improvement"),
            ("Last-mile delivery routing", (
                "last-mile delivery optimization", "home delivery time windows",
                "courier route sequencing", "fewer failed deliveries")),
            ("Fleet scheduling", (
                "fleet scheduling", "driver shift and vehicle assignment",
                "better fleet utilization", "telematics-based fleet scheduling")),
            ("Load consolidation", (
                "load consolidation", "truckload building and pallet planning",
                "LTL to FTL consolidation", "container fill rate")),
        ),
        _uc("Inventory optimization", (
            "inventory optimization", "less excess inventory", "optimized stock levels",
            "working capital tied up in inventory", "inventory planning across warehouses",
            "reorder point calculation", "less overstock and obsolescence",
            "higher inventory turns"),
            ("Safety stock planning", (
                "safety stock optimization", "service-level based safety stock",
                "buffer stock calculation", "dynamic safety stock targets")),
            ("Multi-echelon replenishment", (
                "multi-echelon inventory optimization", "DC-to-store replenishment",
                "automatic replenishment orders", "network-wide stock balancing")),
            ("Stockout alerts", (
                "stockout prediction", "out-of-stock alerts", "lost sales from empty shelves",
                "early warning for stockouts")),
        ),
        _uc("Supplier risk management", (
            "supplier risk management", "monitoring supplier risk", "third-party supplier risk",
            "supplier performance tracking", "supply base resilience",
            "vendor risk assessments", "supplier financial health monitoring",
            "sourcing risk visibility"),
            ("Supplier scorecards", (
                "supplier scorecards", "on-time-in-full supplier KPIs",
                "quality metrics by supplier", "quarterly business reviews with suppliers")),
            ("Disruption monitoring", (
                "supply disruption monitoring", "alerts on port delays and natural disasters",
                "tier-2 supplier disruption alerts", "news monitoring for supplier events")),
        ),
        _uc("Predictive maintenance", (
            "predictive maintenance", "predicting equipment failures", "less unplanned downtime",
            "condition monitoring with IoT sensors", "maintenance scheduling from sensor data",
            "asset health monitoring", "failure prediction for machines",
            "vibration and temperature sensor analytics",
            "a move from reactive to predictive maintenance"),
            ("Sensor anomaly detection", (
                "anomaly detection on sensor streams", "vibration anomaly alerts",
                "SCADA data anomaly detection", "early fault detection from machine telemetry")),
            ("Remaining useful life estimation", (
                "remaining useful life prediction", "RUL models for critical assets",
                "component wear estimation", "spare parts planning from failure forecasts")),
            ("Maintenance work order optimization", (
                "maintenance work order prioritization", "maintenance crew scheduling",
                "CMMS integration (Maximo)", "optimized planned maintenance intervals")),
        ),
    )),
    Family("Sales & Marketing Analytics", (
        _uc("Customer churn prediction", (
            "customer churn prediction", "predicting which customers will cancel",
            "churn risk models", "lower subscriber churn", "retention analytics",
            "early churn warning signals", "customer health scores", "renewal risk prediction"),
            ("Churn risk scoring", (
                "churn risk scores per account", "weekly churn propensity scoring",
                "at-risk customer lists for CSMs", "explaining churn drivers")),
            ("Retention campaign targeting", (
                "targeting retention offers", "save campaigns for at-risk subscribers",
                "next best retention action", "win-back campaign targeting")),
        ),
        _uc("Lead scoring", (
            "lead scoring", "predictive lead scoring", "prioritizing leads for SDRs",
            "better MQL to SQL conversion", "scoring leads in HubSpot",
            "higher lead-to-opportunity conversion", "lead qualification models",
            "more efficient pipeline generation"),
            ("Inbound lead prioritization", (
                "prioritizing inbound demo requests", "speed-to-lead routing",
                "scoring web form leads", "inbound lead queue ranking")),
            ("Account-based intent signals", (
                "account-based intent data", "ABM target account scoring",
                "buyer intent signals", "identifying in-market accounts")),
            ("CRM data enrichment", (
                "CRM data enrichment", "firmographic enrichment of leads",
                "deduplicating CRM contacts", "filling missing account fields in the CRM")),
        ),
        _uc("Marketing attribution", (
            "marketing attribution", "measuring campaign ROI",
            "knowing which channels drive revenue", "marketing spend effectiveness",
            "attribution across paid search and social", "budget allocation across channels",
            "marketing measurement", "ROAS reporting"),
            ("Multi-touch attribution", (
                "multi-touch attribution", "touchpoint-level journey analysis",
                "first-touch vs last-touch comparison", "attribution for B2B buyer journeys")),
            ("Marketing mix modeling", (
                "marketing mix modeling", "MMM for TV and digital spend",
                "media budget optimization", "incrementality measurement")),
        ),
        _uc("Price optimization", (
            "price optimization", "pricing analytics", "optimized prices across the catalog",
            "margin improvement through pricing", "price elasticity modeling",
            "price recommendations", "markdown optimization", "deal pricing analytics"),
            ("Dynamic pricing", (
                "dynamic pricing", "real-time price updates", "demand-based pricing",
                "surge pricing rules")),
            ("Discount guidance for reps", (
                "discount guidance for sales reps", "deal desk pricing recommendations",
                "less discount leakage", "CPQ price guardrails")),
            ("Competitor price monitoring", (
                "competitor price monitoring", "scraping competitor prices",
                "a price index vs competitors", "price matching alerts")),
        ),
    )),
    Family("IT Operations & Security", (
        _uc("Security threat detection", (
            "security threat detection", "detecting cyber attacks", "threat detection and response",
            "ML-based intrusion detection", "less SOC alert fatigue", "ransomware detection",
            "endpoint threat detection", "security analytics on logs",
            "user and entity behavior analytics"),
            ("Phishing detection", (
                "phishing email detection", "business email compromise protection",
                "malicious link scanning", "phishing report triage")),
            ("Insider threat monitoring", (
                "insider threat monitoring", "data exfiltration detection",
                "unusual user behavior alerts", "departing employee risk monitoring")),
            ("SIEM alert triage", (
                "SIEM alert triage", "automated alert enrichment in Splunk", "SOAR playbooks",
                "prioritizing security alerts")),
        ),
        _uc("IT incident management (AIOps)", (
            "AIOps", "IT incident management", "lower mean time to resolution",
            "monitoring and observability", "incident detection in production",
            "outage prevention", "automated incident response",
            "event correlation across monitoring tools", "on-call noise reduction"),
            ("Log anomaly detection", (
                "log anomaly detection", "anomalies in application logs", "error spike detection",
                "metrics anomaly alerts")),
            ("Alert noise reduction", (
                "alert deduplication", "less PagerDuty alert noise",
                "alert correlation and grouping", "suppressing flapping alerts")),
            ("Root cause analysis", (
                "automated root cause analysis", "faster RCA for outages",
                "change-to-incident correlation", "service dependency mapping")),
        ),
        _uc("Identity and access management", (
            "identity and access management", "access governance", "least privilege access",
            "managing user entitlements", "role-based access control", "identity security",
            "access certification campaigns", "cleaning up orphaned accounts"),
            ("Access reviews", (
                "automated user access reviews", "quarterly access recertification",
                "SOX access review evidence", "manager access attestation")),
            ("Privileged access monitoring", (
                "privileged access management", "monitoring admin accounts",
                "just-in-time privileged access", "privileged session recording")),
            ("Joiner-mover-leaver provisioning", (
                "automated user provisioning", "joiner-mover-leaver workflows",
                "deprovisioning accounts when employees leave", "birthright access assignment")),
        ),
        _uc("Cloud cost optimization", (
            "cloud cost optimization", "lower AWS spend", "FinOps", "cloud spend visibility",
            "cutting Azure costs", "cloud cost allocation by team", "cloud budget overruns",
            "optimized Kubernetes costs"),
            ("Rightsizing recommendations", (
                "rightsizing recommendations for EC2", "idle cloud resource cleanup",
                "overprovisioned instances", "container rightsizing")),
            ("Reserved instance planning", (
                "reserved instance and savings plan planning", "commitment coverage optimization",
                "RI utilization tracking", "purchasing savings plans")),
            ("Cost anomaly alerts", (
                "cloud cost anomaly alerts", "unexpected cloud spend spikes",
                "daily cost anomaly detection", "budget alerts per cloud account")),
        ),
    )),
    Family("HR & Workforce", (
        _uc("Resume screening and recruiting", (
            "AI resume screening", "recruiting automation", "screening job applicants",
            "shorter time to hire", "high-volume hiring", "talent acquisition analytics",
            "an applicant tracking system add-on", "candidate sourcing",
            "hiring for 2,000 seasonal roles"),
            ("Candidate matching", (
                "matching candidates to open requisitions", "skills-based candidate ranking",
                "rediscovering past applicants", "candidate shortlisting")),
            ("Interview scheduling", (
                "automated interview scheduling", "coordinating interviewer calendars",
                "self-scheduling links for candidates", "interview reminder automation")),
            ("Job description generation", (
                "writing job descriptions", "inclusive job description language",
                "job posting generation", "standard job requisition templates")),
        ),
        _uc("Employee attrition prediction", (
            "employee attrition prediction", "predicting employee turnover",
            "less regretted attrition", "employee retention analytics",
            "understanding why people quit", "turnover risk models", "retaining top performers",
            "exit interview analysis"),
            ("Flight risk scoring", (
                "flight risk scores for employees", "identifying employees likely to leave",
                "retention risk dashboards for managers", "high performer flight risk")),
            ("Engagement survey analysis", (
                "engagement survey analysis", "analyzing open-text survey comments",
                "pulse survey insights", "eNPS driver analysis")),
        ),
        _uc("Workforce scheduling", (
            "workforce scheduling", "employee shift scheduling", "labor scheduling optimization",
            "lower overtime costs", "scheduling hourly workers", "staffing to demand",
            "rostering for nurses", "labor cost optimization"),
            ("Shift planning", (
                "shift planning", "automated shift rosters", "shift swap management",
                "weekend and night shift coverage")),
            ("Labor demand forecasting", (
                "labor demand forecasting", "forecasting staffing needs by hour",
                "call volume based staffing", "store traffic staffing models")),
            ("Time-off management", (
                "time-off request management", "leave and absence planning",
                "a PTO approval workflow", "absence coverage")),
        ),
        _uc("Learning and skills development", (
            "learning and development", "employee upskilling", "skills-based talent management",
            "corporate training programs", "reskilling the workforce",
            "learning management system content", "a skills taxonomy",
            "training completion tracking"),
            ("Skills gap analysis", (
                "skills gap analysis", "mapping employee skills to roles", "a skills inventory",
                "future skills planning")),
            ("Personalized learning paths", (
                "personalized learning paths", "course recommendations for employees",
                "adaptive training content", "career development plans")),
        ),
    )),
)

TRUTH_COLUMNS = ("true_family", "true_use_case", "true_sub_use_case", "true_path")

# The free-text and product columns (the settings' defaults); in a few records all are empty.
TEXT_COLUMNS = DEFAULT_TEXT_COLUMNS

COLUMNS = (
    "opportunity_id",
    *TEXT_COLUMNS,
    "industry",
    "account_name",
    "contact_name",
    "owner_email",
    "created_date",
    "amount",
    *TRUTH_COLUMNS,
)


# --------------------------------------------------------------------------------------------
# Family context (shared vocabulary: overlap between sibling use cases; people) and products
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FamilyContext:
    shared_phrases: tuple[str, ...]
    titles: tuple[str, ...]
    teams: tuple[str, ...]


_FAMILY_CONTEXT: dict[str, _FamilyContext] = {
    "Customer Service Automation": _FamilyContext(
        ("customer support operations", "lower contact center costs",
         "the support ticket backlog", "better CSAT and NPS scores", "shorter average handle time",
         "omnichannel customer service"),
        ("VP Customer Support", "Director of Customer Experience", "Contact Center Manager",
         "Head of CX"),
        ("support", "customer care", "contact center"),
    ),
    "Finance & Accounting": _FamilyContext(
        ("accounts payable headcount", "the month-end workload", "ERP integration",
         "a clean audit trail", "finance operations cost", "finance process automation"),
        ("CFO", "Controller", "AP Manager", "VP Finance", "Head of Finance Operations"),
        ("finance", "AP", "treasury", "accounting"),
    ),
    "Supply Chain & Logistics": _FamilyContext(
        ("supply chain planning", "warehouse operations", "the distribution network",
         "supply chain visibility", "the S&OP process", "lower logistics costs"),
        ("VP Supply Chain", "Logistics Director", "Head of Operations", "Demand Planning Manager",
         "Plant Manager"),
        ("supply chain", "logistics", "planning", "operations"),
    ),
    "Sales & Marketing Analytics": _FamilyContext(
        ("pipeline visibility", "cleaner CRM data", "go-to-market analytics",
         "campaign performance reporting", "sales productivity", "revenue growth analytics"),
        ("CMO", "VP Sales", "Head of Revenue Operations", "Marketing Analytics Lead",
         "Director of Sales Ops"),
        ("marketing", "sales ops", "RevOps", "growth"),
    ),
    "IT Operations & Security": _FamilyContext(
        ("the security operations center", "IT infrastructure monitoring",
         "their hybrid cloud environment", "the CISO's priorities", "SOC 2 audit findings",
         "operational resilience"),
        ("CISO", "CIO", "Head of IT", "SOC Manager", "VP Infrastructure", "IT Director"),
        ("IT", "security", "infrastructure", "platform engineering"),
    ),
    "HR & Workforce": _FamilyContext(
        ("people operations", "the employee experience", "their talent strategy",
         "HRIS integration with Workday", "headcount planning", "workforce analytics"),
        ("CHRO", "VP People", "Head of Talent Acquisition", "HR Director",
         "Workforce Planning Manager"),
        ("HR", "people", "talent", "recruiting"),
    ),
}


@dataclass(frozen=True)
class _Product:
    name: str
    group: str
    details: tuple[str, ...]
    use_cases: tuple[str, ...] = ()  # the use cases it is usually sold for; () = any


_PRODUCTS: tuple[_Product, ...] = (
    _Product("Acme Assist", "Conversational AI",
             ("chatbot builder with prebuilt support intents",
              "virtual agent for web and mobile chat"), ("Chatbot for customer support",)),
    _Product("Acme HelpDesk Copilot", "Service Desk AI",
             ("ticket classification and routing add-on", "works inside Zendesk and Service Cloud"),
             ("Ticket routing and triage",)),
    _Product("Acme VoiceInsight", "Contact Center AI",
             ("speech analytics for recorded calls", "real-time transcription and QA scoring"),
             ("Call center speech analytics",)),
    _Product("Acme KnowledgeFind", "Conversational AI",
             ("semantic search over help content", "agent assist panel"),
             ("Knowledge base search",)),
    _Product("Acme InvoiceIQ", "Document AI",
             ("touchless invoice processing", "PO matching engine"),
             ("Invoice processing automation",)),
    _Product("Acme DocFlow", "Document AI",
             ("invoice and receipt capture with OCR", "AP workflow with ERP connectors"),
             ("Invoice processing automation", "Fraud detection")),
    _Product("Acme FraudShield", "Risk & Compliance",
             ("real-time transaction risk scoring", "case management for fraud analysts"),
             ("Fraud detection",)),
    _Product("Acme CloseRight", "Finance Automation",
             ("reconciliation and close management", "journal entry automation"),
             ("Financial close and reconciliation",)),
    _Product("Acme CashCast", "Finance Automation",
             ("cash forecasting module", "treasury liquidity dashboards"),
             ("Cash flow forecasting",)),
    _Product("Acme DemandSense", "Forecasting & Planning",
             ("ML demand forecasting engine", "S&OP planning workspace"), ("Demand forecasting",)),
    _Product("Acme StockPilot", "Forecasting & Planning",
             ("inventory optimization and replenishment", "safety stock calculator"),
             ("Inventory optimization",)),
    _Product("Acme RouteWise", "Logistics Optimization",
             ("vehicle routing and dispatch", "fleet scheduling API"), ("Route optimization",)),
    _Product("Acme SupplyRadar", "Supplier Intelligence",
             ("supplier risk monitoring feeds", "supplier scorecard module"),
             ("Supplier risk management",)),
    _Product("Acme UptimeIQ", "Asset Intelligence",
             ("IoT condition monitoring", "failure prediction models for equipment"),
             ("Predictive maintenance",)),
    _Product("Acme ChurnGuard", "Revenue Intelligence",
             ("customer health and churn scoring", "retention playbooks"),
             ("Customer churn prediction",)),
    _Product("Acme PipelineIQ", "Revenue Intelligence",
             ("lead and opportunity scoring", "CRM enrichment connectors"), ("Lead scoring",)),
    _Product("Acme AttributeIt", "Marketing Analytics",
             ("multi-touch attribution", "media mix modeling workbench"),
             ("Marketing attribution",)),
    _Product("Acme PriceLens", "Pricing & Revenue Management",
             ("price optimization engine", "deal guidance inside CPQ"), ("Price optimization",)),
    _Product("Acme SentinelWatch", "Security Analytics",
             ("threat detection on SIEM data", "UEBA and alert triage"),
             ("Security threat detection",)),
    _Product("Acme OpsPulse", "AIOps",
             ("event correlation and anomaly detection", "incident RCA assistant"),
             ("IT incident management (AIOps)",)),
    _Product("Acme AccessGuard", "Identity Security",
             ("access reviews and provisioning", "privileged access monitoring"),
             ("Identity and access management",)),
    _Product("Acme CloudTrim", "Cloud FinOps",
             ("cloud cost visibility and rightsizing", "commitment planning"),
             ("Cloud cost optimization",)),
    _Product("Acme TalentScope", "Talent Acquisition",
             ("resume screening and candidate matching", "recruiting analytics"),
             ("Resume screening and recruiting",)),
    _Product("Acme RetainIQ", "People Analytics",
             ("attrition risk models", "engagement survey text analytics"),
             ("Employee attrition prediction",)),
    _Product("Acme ShiftSmart", "Workforce Management",
             ("shift scheduling and labor forecasting", "time-off management"),
             ("Workforce scheduling",)),
    _Product("Acme SkillPath", "Learning & Development",
             ("skills inventory and gap analysis", "personalized learning recommendations"),
             ("Learning and skills development",)),
)

# Products that fit any use case; with the other families' products they are the ~20% noise.
_GENERIC_PRODUCTS = (
    _Product("Acme AI Platform", "Platform",
             ("enterprise ML platform license", "model hosting and MLOps")),
    _Product("Acme Data Hub", "Data Platform",
             ("data integration and feature store", "connectors for 200+ sources")),
    _Product("Implementation Services", "Professional Services",
             ("fixed-fee implementation package", "solution architect hours")),
    _Product("Premium Support", "Support & Success",
             ("24/7 premium support", "named customer success manager")),
)

# Share of records whose product is generic or from another family (noise), and share sold with
# another product of the same family instead of the use case's own product (overlap).
_PRODUCT_NOISE = 0.2
_PRODUCT_SIBLING = 0.15

_LICENCE_TERMS = (
    "Enterprise tier, {seats} seats, {years}-yr term", "Professional edition, annual subscription",
    "usage-based pricing", "{years}-yr term, billed annually", "includes onboarding + training",
    "add-on to existing contract", "SKU ACM-{sku}", "list price {money}", "pilot license, 90 days",
    "Standard tier", "renewal at current pricing", "{seats} named users",
)

# --------------------------------------------------------------------------------------------
# Generic sales noise shared by all records
# --------------------------------------------------------------------------------------------

_INDUSTRIES = (
    "Healthcare", "Financial Services", "Retail", "Manufacturing", "Telecommunications",
    "Energy & Utilities", "Public Sector", "Transportation", "Insurance", "Technology",
    "Media & Entertainment", "Education",
)

_SYSTEMS = (
    "SAP", "Salesforce", "ServiceNow", "Workday", "Oracle NetSuite", "Zendesk",
    "Microsoft Dynamics", "Snowflake", "SharePoint", "Teams", "Slack", "Jira", "their data lake",
)

_GENERIC_SENTENCES = (
    "Budget approved for next fiscal year.", "Need an exec sponsor, decision maker is the VP.",
    "Competing against the incumbent vendor.", "Procurement requires three quotes.",
    "Legal is reviewing the MSA.", "Security questionnaire sent over.",
    "Champion left the company - need a new sponsor.", "Pricing sent, waiting on feedback.",
    "Multi-year deal possible if we discount.", "They're comparing us with two other vendors.",
    "Intro came from the partner team.", "Met them at the trade show booth.",
    "Existing customer, good relationship.", "Renewal coming up, upsell opportunity.",
    "Timeline slipped because of the customer's budget freeze.",
    "Need to loop in solutions engineering.", "Waiting on their IT to approve the pilot.",
    "Verbal yes, paperwork pending.", "Customer asked for references in their industry.",
    "Deal is at risk, no response in two weeks.", "Quote expires end of month.",
    "Small team today, could grow to enterprise.", "Their board wants an AI strategy this year.",
    "We don't have a timeline yet.", "We'll send a mutual action plan.",
    "It's a competitive deal.", "They've been burned by a failed project before.",
    "Customer can't share data until the NDA is signed.", "HOT DEAL!!", "PLS PRIORITIZE.",
    "Call went well.", "Not sure they're serious.",
)

_BOILERPLATE = (
    "Opportunity created from web form.", "Auto-generated by CRM sync.", "see attached",
    "See attached deck.", "TBD", "N/A", "Created via Salesforce import.",
    "Please refer to the notes in the account.", "[placeholder]", "Lead converted to opportunity.",
    "Copied from previous opp.", "Details in the shared folder.",
)

_HEADERS = ("Description:", "Notes:", "Summary -", "Opp notes:", "Background:", "[Internal]",
            "Per discovery call:", "URGENT:", "FYI")

_NEXT_STEPS = (
    "Next steps: send proposal.", "Next steps: schedule demo with {first}.", "Next steps: TBD.",
    "Next steps: follow up {date}.", "Next steps: security review, then POC.",
    "Next steps - pricing call w/ {contact}.",
)

_GENERIC_NEEDS = (
    "SSO and SOC 2 compliance", "an on-prem or private cloud deployment",
    "integration with {system}", "EU data residency", "a 90-day pilot", "role-based permissions",
    "an API for their data team", "pricing under {money}", "go-live {date}",
    "support in multiple time zones",
)

_FIRST_NAMES = (
    "Jane", "John", "Maria", "David", "Sarah", "Michael", "Priya", "Wei", "Ahmed", "Laura",
    "Carlos", "Emma", "Olivia", "Liam", "Noah", "Sofia", "Lucas", "Aisha", "Kenji", "Anna",
    "Tom", "Rachel", "Daniel", "Fatima", "Mateo", "Chloe", "Hannah", "Raj", "Yuki", "Lena",
    "Omar", "Grace", "Ben", "Isabel", "Pedro", "Nina", "Marcus", "Elena", "Sam", "Zoe",
)

_LAST_NAMES = (
    "Doe", "Smith", "Garcia", "Chen", "Patel", "Johnson", "Müller", "Nguyen", "Kim", "Brown",
    "Rossi", "Williams", "Okafor", "Tanaka", "Silva", "Schmidt", "O'Brien", "Kowalski", "Lopez",
    "Anderson", "Haddad", "Novak", "Dubois", "Jensen", "Martin", "Ivanova", "Singh", "Clarke",
    "Moreno", "Fischer", "Walsh", "Sato", "Hughes", "Costa", "Berg", "Evans",
)

_ACCOUNT_ROOTS = (
    "North", "Blue", "Summit", "Silver", "Pine", "Harbor", "Red", "Granite", "Evergreen", "Atlas",
    "Bright", "Cedar", "Coastal", "Crescent", "Eagle", "Falcon", "Golden", "Iron", "Lake",
    "Maple", "Meridian", "Oak", "Pacific", "Prairie", "River", "Stone", "Sun", "Vista", "Willow",
    "Zenith",
)
_ACCOUNT_STEMS = (
    "wind", "ridge", "field", "point", "gate", "bridge", "wood", "view", "peak", "light", "way",
    "crest", "haven", "line", "star",
)
_ACCOUNT_SUFFIXES = (
    "Inc.", "LLC", "Ltd", "GmbH", "Group", "Holdings", "Corp", "& Co.", "Partners", "Systems",
    "Industries", "Solutions", "",
)
_CLASSIC_ACCOUNTS = (
    "Contoso", "Fabrikam", "Northwind Traders", "Globex", "Initech", "Umbrella Corporation",
    "Tailspin Toys", "Wide World Importers", "Adventure Works", "Woodgrove Bank",
)
_TLDS = (".com", ".com", ".com", ".io", ".co.uk", ".de", ".net")

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")

# --------------------------------------------------------------------------------------------
# Sentence templates. Slots are filled lazily (see _Slots): {p} and {p2} are topical phrases.
# --------------------------------------------------------------------------------------------

_TOPIC_SENTENCES = (
    "{account} is looking for {p}.", "Customer wants {p}.",
    "They're evaluating options for {p}.", "Main ask: {p}.",
    "Interested in {p} for the {team} team.",
    "Discovery call went well - {contact} wants {p} {date}.",
    "POC scope is {p}, {money} budget.", "They don't have {p} today and it's a pain.",
    "We'll demo {p} next week.", "Current vendor can't handle {p}.",
    "Expansion: add {p} to the existing contract.", "The customer's {title} is sponsoring {p}.",
    "Follow up on {p}.", "Need pricing for {p}.", "{p} + {p2}", "RFP covers {p} and {p2}.",
    "Pain point is manual work around {p}.", "{contact} ({title}) asked about {p}.",
    "{p} is the top priority for {account}.", "Wants to start with {p}, then {p2}.",
    "Spoke with {first} re: {p}.", "They've tried building {p} in-house and it didn't work.",
    "{title} wants {p} {date}.", "Upsell: {p}.",
)

_NOISE_SENTENCES = (
    "Contact: {contact}, {email}, {phone}.", "Call {first} at {phone}.", "Reach out to {email}.",
    "RFP docs: {url}", "See {url} for details.", "More info at {url}",
    "Budget ~{money}, decision {date}.", "Main contact is {contact} ({phone}).",
    "Cc {email} on all pricing emails.",
)

_NEEDS_SENTENCES = (
    "Needs {p}.", "Must have {p}.", "Looking to cut manual effort on {p}.",
    "Wants {p} integrated with {system}.", "Nice to have: {p}.", "{p} {date}.",
    "They need {p} and don't want another portal.", "Customer's top need is {p}.",
    "Requires {generic}.", "Must integrate with {system}.", "Needs {generic}.",
    "{account} needs {p} and {generic}.",
)

# Where a topical phrase comes from: the sub-use-case, the use case, the family's shared
# vocabulary, or any use case of the same family (the last two make siblings overlap).
_PHRASE_SOURCE_CUMULATIVE = (0.48, 0.94, 0.97, 1.0)
# How likely a description sentence is about the use case (else generic noise).
_TOPICAL_FIRST_SENTENCE = 0.95
_TOPICAL_LATER_SENTENCE = 0.72

_NAME_TEMPLATES = (
    "{account} - {use_case}", "{account} - {sub_use_case}", "{account} | {product}",
    "{account} {sub_use_case} POC", "{account} - {product} - FY{yy}", "{account} - Renewal {year}",
    "New Business - {account}", "{account_upper} {use_case_lower}", "{account}: {p}",
    "{account_short} - {use_case} expansion", "{account} - Q{quarter} {year} upsell",
    "{account_short} / {p}",
)


# --------------------------------------------------------------------------------------------
# Randomness
# --------------------------------------------------------------------------------------------

T = TypeVar("T")


class _Dice:
    """Fast scalar draws for the per-record text, backed by batches from a numpy Generator."""

    def __init__(self, rng: np.random.Generator, batch: int = 1 << 16) -> None:
        self._rng = rng
        self._batch = batch
        self._buffer: list[float] = []
        self._next = 0

    def random(self) -> float:
        if self._next >= len(self._buffer):
            self._buffer = self._rng.random(self._batch).tolist()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value

    def chance(self, p: float) -> bool:
        return self.random() < p

    def pick(self, options: Sequence[T]) -> T:
        return options[int(self.random() * len(options))]

    def integer(self, low: int, high: int) -> int:
        """A whole number in [low, high]."""
        return low + int(self.random() * (high - low + 1))

    def weighted(self, cumulative: Sequence[float]) -> int:
        """An index drawn with the given cumulative weights (last one is the total)."""
        return min(bisect_right(cumulative, self.random() * cumulative[-1]), len(cumulative) - 1)


# --------------------------------------------------------------------------------------------
# Accounts and people
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Account:
    name: str
    domain: str
    industry: str
    contacts: tuple[str, ...]


def _person(dice: _Dice) -> str:
    return f"{dice.pick(_FIRST_NAMES)} {dice.pick(_LAST_NAMES)}"


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_text.lower() if ch.isalnum())


def _make_accounts(dice: _Dice, count: int) -> list[_Account]:
    names: list[str] = list(_CLASSIC_ACCOUNTS)
    seen = set(names)
    while len(names) < count:
        base = dice.pick(_ACCOUNT_ROOTS) + dice.pick(_ACCOUNT_STEMS)
        name = f"{base} {dice.pick(_ACCOUNT_SUFFIXES)}".strip()
        if name not in seen:
            seen.add(name)
            names.append(name)
    accounts = []
    for name in names[:count]:
        domain = _slug(name.split()[0]) + dice.pick(_TLDS)
        contacts = tuple(_person(dice) for _ in range(dice.integer(1, 3)))
        accounts.append(_Account(name, domain, dice.pick(_INDUSTRIES), contacts))
    return accounts


def _email_of(person: str, domain: str, dice: _Dice) -> str:
    first, last = (_slug(part) for part in person.split(" ", 1))
    style = dice.random()
    if style < 0.6:
        return f"{first}.{last}@{domain}"
    if style < 0.85:
        return f"{first[0]}{last}@{domain}"
    return f"{dice.pick(('procurement', 'ap-team', 'it-help', 'info', 'sales'))}@{domain}"


def _owner_email(person: str, dice: _Dice) -> str:
    first, last = (_slug(part) for part in person.split(" ", 1))
    return f"{first}.{last}@acmeai.com" if dice.chance(0.8) else f"{first[0]}{last}@acmeai.com"


# --------------------------------------------------------------------------------------------
# Small text fragments: phones, URLs, dates, money
# --------------------------------------------------------------------------------------------


def _digits(dice: _Dice, count: int) -> str:
    return "".join(str(dice.integer(0, 9)) for _ in range(count))


def _phone(dice: _Dice) -> str:
    area = dice.pick(("415", "212", "312", "617", "206", "512", "646", "303"))
    four = f"01{_digits(dice, 2)}"
    style = dice.integer(0, 7)
    phone = (
        f"+1 ({area}) 555-{four}",
        f"{area}-555-{four}",
        f"({area}) 555 {four}",
        f"{area}.555.{four}",
        f"020 7946 {_digits(dice, 4)}",
        f"+44 20 7946 {_digits(dice, 4)}",
        f"+49 30 {_digits(dice, 6)}",
        f"555-{_digits(dice, 3)}-{_digits(dice, 4)}",
    )[style]
    return phone + (f" ext. {_digits(dice, 3)}" if dice.chance(0.1) else "")


def _url(dice: _Dice, domain: str) -> str:
    return dice.pick((
        f"https://www.{domain}/rfp",
        f"www.{domain}/procurement/rfp-{dice.integer(2023, 2026)}.pdf",
        f"https://{domain}/about",
        f"http://www.{domain}",
        f"https://drive.google.com/file/d/{_digits(dice, 10)}/view",
        f"https://acmeai.sharepoint.com/sites/deals/{domain.split('.')[0]}",
        f"www.{domain}/careers",
    ))


def _date_text(dice: _Dice, year: int) -> str:
    target = year + dice.integer(0, 1)
    month, day = dice.integer(1, 12), dice.integer(1, 28)
    return dice.pick((
        f"by Q{dice.integer(1, 4)} {target}",
        f"by {_MONTHS[month - 1]} {day}",
        f"before end of FY{target % 100:02d}",
        f"by {month}/{day}/{target}",
        f"by {target}-{month:02d}-{day:02d}",
        "next week",
        "by EOQ",
        "before the holidays",
        f"in H{dice.integer(1, 2)}",
    ))


def _money_text(dice: _Dice, amount: float) -> str:
    k = max(5, int(round(amount / 1000 * (0.5 + dice.random()))))
    return dice.pick((
        f"${k}k",
        f"~${k / 1000:.1f}M" if k >= 1000 else f"~${k}K",
        f"USD {k * 1000:,}",
        f"€{k}k",
        f"£{k}k/yr",
        f"${k * 1000:,} ACV",
    ))


# --------------------------------------------------------------------------------------------
# One record
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Deal:
    """Everything the text of one record is written from."""

    family: Family
    use_case: UseCase
    sub_use_case: SubUseCase
    account: _Account
    contact: str
    product: _Product
    year: int
    amount: float


class _Slots(dict[str, str]):
    """Template slots computed only when a template asks for them (``str.format_map``)."""

    def __init__(self, makers: dict[str, Callable[[], str]]) -> None:
        super().__init__()
        self._makers = makers

    def __missing__(self, key: str) -> str:
        value = self._makers[key]()
        self[key] = value
        return value


class _Writer:
    """Writes the text fields of one deal."""

    def __init__(self, deal: _Deal, dice: _Dice) -> None:
        self.deal = deal
        self.dice = dice
        self.context = _FAMILY_CONTEXT[deal.family.name]

    # -- slots ---------------------------------------------------------------------------------

    def topical_phrase(self) -> str:
        """A phrase about this deal's use case, sometimes only about its family (overlap)."""
        d, dice = self.deal, self.dice
        source = dice.weighted(_PHRASE_SOURCE_CUMULATIVE)
        if source == 0:
            return dice.pick(d.sub_use_case.phrases)
        if source == 1:
            return dice.pick(d.use_case.phrases)
        if source == 2:
            return dice.pick(self.context.shared_phrases)
        return dice.pick(dice.pick(d.family.use_cases).phrases)

    def account_mention(self) -> str:
        name = self.deal.account.name
        return name.split()[0] if self.dice.chance(0.3) else name

    def contact_mention(self) -> str:
        return self.deal.contact if self.dice.chance(0.7) else self.deal.contact.split()[0]

    def slots(self) -> _Slots:
        d, dice = self.deal, self.dice
        return _Slots({
            "p": self.topical_phrase,
            "p2": self.topical_phrase,
            "account": self.account_mention,
            "contact": self.contact_mention,
            "first": lambda: d.contact.split()[0],
            "title": lambda: dice.pick(self.context.titles),
            "team": lambda: dice.pick(self.context.teams),
            "date": lambda: _date_text(dice, d.year),
            "money": lambda: _money_text(dice, d.amount),
            "system": lambda: dice.pick(_SYSTEMS),
            "email": lambda: _email_of(d.contact, d.account.domain, dice),
            "phone": lambda: _phone(dice),
            "url": lambda: _url(dice, d.account.domain),
            "generic": lambda: dice.pick(_GENERIC_NEEDS).format_map(self.slots()),
            "product": lambda: d.product.name,
        })

    def fill(self, template: str) -> str:
        text = template.format_map(self.slots())
        if text.endswith("..") and not text.endswith("..."):
            text = text[:-1]  # an account name ending in "Inc." closed the sentence
        return text[:1].upper() + text[1:]

    # -- fields --------------------------------------------------------------------------------

    def description(self) -> str | float:
        dice = self.dice
        u = dice.random()
        if u < 0.03:
            return np.nan
        if u < 0.05:
            return ""
        if u < 0.09:
            return dice.pick(_BOILERPLATE)
        count = dice.pick((1, 2, 2, 3, 3, 4))
        sentences = [self._description_sentence(first=i == 0) for i in range(count)]
        if count > 1 and dice.chance(0.15):
            sentences[-1] = self.fill(dice.pick(_NEXT_STEPS))
        if dice.chance(0.1):
            sentences.insert(0, dice.pick(_BOILERPLATE))
            sentences.pop()
        sentences = list(dict.fromkeys(sentences))  # a rep does not repeat a sentence
        sentences = [s.upper() if dice.chance(0.04) else s for s in sentences]  # shouting
        text = _join_sentences(sentences, dice)
        if dice.chance(0.12):
            text = f"{dice.pick(_HEADERS)} {text}"
        return text

    def _description_sentence(self, first: bool) -> str:
        dice = self.dice
        if dice.chance(_TOPICAL_FIRST_SENTENCE if first else _TOPICAL_LATER_SENTENCE):
            return self.fill(dice.pick(_TOPIC_SENTENCES))
        if dice.chance(0.6):
            return self.fill(dice.pick(_NOISE_SENTENCES))
        return dice.pick(_GENERIC_SENTENCES)

    def customer_needs(self) -> str | float:
        dice = self.dice
        count = dice.pick((0, 1, 1, 2))
        if count == 0:
            return dice.pick((np.nan, "", "", "N/A", "TBD", np.nan))
        sentences = [self.fill(dice.pick(_NEEDS_SENTENCES)) for _ in range(count)]
        return _join_sentences(sentences, dice)

    def opportunity_name(self) -> str:
        d, dice = self.deal, self.dice
        template = dice.pick(_NAME_TEMPLATES)
        slots = self.slots()
        slots.update({
            "account": d.account.name,
            "account_short": d.account.name.split()[0],
            "account_upper": d.account.name.upper(),
            "use_case": d.use_case.name,
            "use_case_lower": d.use_case.name.lower(),
            "sub_use_case": d.sub_use_case.name,
            "year": str(d.year),
            "yy": f"{d.year % 100:02d}",
            "quarter": str(dice.integer(1, 4)),
        })
        return template.format_map(slots)

    def product_details(self) -> str | float:
        dice = self.dice
        u = dice.random()
        if u < 0.06:
            return np.nan
        if u < 0.08:
            return ""
        terms = dice.pick(_LICENCE_TERMS).format(
            seats=dice.pick((25, 50, 100, 250, 500, 1000)), years=dice.integer(1, 3),
            sku=_digits(dice, 4), money=_money_text(dice, self.deal.amount))
        detail = dice.pick(self.deal.product.details)
        return dice.pick((f"{detail}; {terms}", f"{detail}. {terms}", terms, detail,
                          f"{detail} - {terms}"))


# --------------------------------------------------------------------------------------------
# Noise applied to finished text
# --------------------------------------------------------------------------------------------


def _join_sentences(sentences: list[str], dice: _Dice) -> str:
    separator = dice.pick((" ", " ", " ", " ", "  ", "\n", " - "))
    return separator.join(sentences)


def _typo(word: str, dice: _Dice) -> str:
    """Swap two neighbouring letters, drop one, or double one."""
    i = dice.integer(0, len(word) - 2)
    kind = dice.random()
    if kind < 0.4:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind < 0.75:
        return word[:i] + word[i + 1:]
    return word[:i] + word[i] + word[i:]


def _add_typos(text: str, dice: _Dice, count: int) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for _ in range(min(count, len(candidates))):
        i = dice.pick(candidates)
        words[i] = _typo(words[i], dice)
    return " ".join(words)


def _messy(text: str | float, dice: _Dice, typo_rate: float) -> str | float:
    """Typos, curly apostrophes, whole-field case changes and stray whitespace."""
    if not isinstance(text, str) or not text:
        return text
    if dice.chance(typo_rate):
        text = _add_typos(text, dice, dice.integer(1, 2))
    if dice.chance(0.1):
        text = text.replace("'", "\u2019")
    u = dice.random()
    if u < 0.03:
        text = text.upper()
    elif u < 0.07:
        text = text.lower()
    elif u < 0.09:
        text = text.title()
    if dice.chance(0.04):
        text = text + dice.pick(("  ", " ", "\n", " ..."))
    return text


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

_ALL_EMPTY_SHARE = 0.005


def _all_use_cases() -> list[tuple[Family, UseCase]]:
    return [(family, uc) for family in USE_CASE_TREE for uc in family.use_cases]


def _draw_use_cases(rng: np.random.Generator, n_records: int, n_use_cases: int) -> np.ndarray:
    """Zipf-like use-case frequencies (which ones are common depends on the seed); every use
    case appears at least once when there are enough records."""
    weights = 1.0 / np.arange(1, n_use_cases + 1) ** 0.75
    weights = weights[rng.permutation(n_use_cases)]
    draws = rng.choice(n_use_cases, size=n_records, p=weights / weights.sum())
    if n_records >= n_use_cases:
        draws[:n_use_cases] = np.arange(n_use_cases)
        draws = rng.permutation(draws)
    return draws


def _products_by(key: Callable[[_Product], tuple[str, ...]]) -> dict[str, tuple[_Product, ...]]:
    table: dict[str, list[_Product]] = {}
    for product in _PRODUCTS:
        for name in key(product):
            table.setdefault(name, []).append(product)
    return {name: tuple(products) for name, products in table.items()}


_FAMILY_OF_USE_CASE = {uc.name: f.name for f in USE_CASE_TREE for uc in f.use_cases}
_PRODUCTS_BY_USE_CASE = _products_by(lambda p: p.use_cases)
_PRODUCTS_BY_FAMILY = _products_by(
    lambda p: tuple(dict.fromkeys(_FAMILY_OF_USE_CASE[uc] for uc in p.use_cases)))


def _pick_product(family: Family, use_case: UseCase, dice: _Dice) -> _Product:
    u = dice.random()
    if u < _PRODUCT_NOISE:
        if dice.chance(0.5):
            return dice.pick(_GENERIC_PRODUCTS)
        return dice.pick(_PRODUCTS)
    if u < _PRODUCT_NOISE + _PRODUCT_SIBLING:
        return dice.pick(_PRODUCTS_BY_FAMILY[family.name])
    return dice.pick(_PRODUCTS_BY_USE_CASE[use_case.name])


def _record(index: int, deal: _Deal, dice: _Dice, owner: str, created: str) -> dict[str, object]:
    writer = _Writer(deal, dice)
    product = deal.product
    path = f"{deal.family.name} > {deal.use_case.name} > {deal.sub_use_case.name}"
    return {
        "opportunity_id": f"OPP-{index + 1:06d}",
        "opportunity_name": _messy(writer.opportunity_name(), dice, 0.03),
        "description": _messy(writer.description(), dice, 0.12),
        "customer_needs": _messy(writer.customer_needs(), dice, 0.08),
        "product_name": product.name if dice.chance(0.98) else np.nan,
        "product_details": _messy(writer.product_details(), dice, 0.05),
        "product_group": product.group if dice.chance(0.98) else np.nan,
        "industry": deal.account.industry,
        "account_name": deal.account.name,
        "contact_name": deal.contact,
        "owner_email": owner,
        "created_date": created,
        "amount": deal.amount,
        "true_family": deal.family.name,
        "true_use_case": deal.use_case.name,
        "true_sub_use_case": deal.sub_use_case.name,
        "true_path": path,
    }


def _blank_text(rows: list[dict[str, object]], rng: np.random.Generator) -> None:
    """Empty every text field of a small, fixed share of the records."""
    count = int(round(_ALL_EMPTY_SHARE * len(rows)))
    for i in rng.choice(len(rows), size=count, replace=False):
        for column in TEXT_COLUMNS:
            rows[int(i)][column] = np.nan if rng.random() < 0.5 else ""


def generate_opportunities(n_records: int, seed: int = 42) -> pd.DataFrame:
    """A table of ``n_records`` opportunities with columns ``COLUMNS``; same seed, same table."""
    if isinstance(n_records, bool) or not isinstance(n_records, (int, np.integer)) or n_records < 0:
        raise ValueError(f"n_records must be a whole number >= 0, got {n_records!r}")
    n_records = int(n_records)
    rng = np.random.default_rng(seed)
    dice = _Dice(rng)

    use_cases = _all_use_cases()
    uc_draws = _draw_use_cases(rng, n_records, len(use_cases))
    sub_weights = [np.cumsum(rng.dirichlet(np.full(len(uc.sub_use_cases), 3.0))).tolist()
                   for _, uc in use_cases]
    days = rng.integers(0, 365 * 3 + 180, size=n_records)
    created = (np.datetime64("2022-01-03") + days).astype(str).tolist()
    raw_amount = rng.lognormal(np.log(60_000), 0.9, size=n_records)
    amounts = np.where(rng.random(n_records) < 0.6, np.round(raw_amount, -3),
                       np.round(raw_amount, 2)).clip(1_000).tolist()

    accounts = _make_accounts(dice, min(2_000, max(30, n_records // 6)))
    owners = [_owner_email(_person(dice), dice) for _ in range(20)]

    rows = []
    for i in range(n_records):
        family, uc = use_cases[int(uc_draws[i])]
        account = dice.pick(accounts)
        deal = _Deal(
            family=family, use_case=uc,
            sub_use_case=uc.sub_use_cases[dice.weighted(sub_weights[int(uc_draws[i])])],
            account=account, contact=dice.pick(account.contacts),
            product=_pick_product(family, uc, dice), year=int(created[i][:4]), amount=amounts[i],
        )
        rows.append(_record(i, deal, dice, dice.pick(owners), created[i]))
    _blank_text(rows, rng)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame["amount"] = frame["amount"].astype(float)
    return frame


def write_sample(path: str | Path, n_records: int = 5000, seed: int = 42) -> Path:
    """Write ``generate_opportunities(n_records, seed)`` as a UTF-8 CSV and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    generate_opportunities(n_records, seed).to_csv(path, index=False, encoding="utf-8")
    return path
