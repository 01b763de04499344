"""Salesforce's standard objects as forcegate stores them: definitions written once per org into
``data_objects`` / ``data_fields`` (see :func:`forcegate.data.metadata.install_standard_objects`).

Account, Contact, Opportunity, Lead and Case live in the ``data_*`` tables; User, Organization and
LoginHistory are views of the tables the identity server already keeps (users, orgs, login_history),
so they are read-only through the data API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["STANDARD_OBJECTS", "FieldSpec", "ObjectSpec", "record_system_fields"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    column: str | None = None
    label: str | None = None
    length: int = 0
    precision: int = 0
    scale: int = 0
    nillable: bool = True
    createable: bool = True
    updateable: bool = True
    required: bool = False
    expression: dict[str, Any] | None = None
    reference_to: str | None = None
    relationship_name: str | None = None
    child_relationship_name: str | None = None
    picklist: tuple[str, ...] = ()
    default: Any = None
    system: bool = False
    name_field: bool = False


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    label: str
    plural_label: str
    key_prefix: str
    table_name: str
    fields: tuple[FieldSpec, ...]
    org_column: str = "org_id"
    createable: bool = True
    updateable: bool = True
    deletable: bool = True
    soft_delete: bool = True
    custom: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _label(name: str) -> str:
    """``AnnualRevenue`` → ``Annual Revenue``; ``AccountId`` → ``Account ID``."""
    base = name[:-2] + " ID" if name.endswith("Id") and len(name) > 2 else name
    out = []
    for i, ch in enumerate(base):
        if i and ch.isupper() and base[i - 1].islower():
            out.append(" ")
        out.append(ch)
    return "".join(out)


def _s(name: str, column: str, length: int = 255, **kw: Any) -> FieldSpec:
    return FieldSpec(name, "string", column, length=length, **kw)


def _pick(name: str, column: str, values: tuple[str, ...], **kw: Any) -> FieldSpec:
    return FieldSpec(name, "picklist", column, length=255, picklist=values, **kw)


def _ref(name: str, column: str, to: str, rel: str | None, child: str | None = None, **kw: Any) -> FieldSpec:
    return FieldSpec(
        name, "reference", column, length=18, reference_to=to, relationship_name=rel,
        child_relationship_name=child, **kw,
    )  # fmt: skip


def record_system_fields(*, owner: bool = True) -> tuple[FieldSpec, ...]:
    """Id, IsDeleted, OwnerId and the audit fields of a record table (standard and custom)."""
    fields = [
        FieldSpec("Id", "id", "id", label="Record ID", length=18, nillable=False, createable=False,
                  updateable=False, system=True),
        FieldSpec("IsDeleted", "boolean", "is_deleted", label="Deleted", nillable=False, createable=False,
                  updateable=False, system=True),
    ]  # fmt: skip
    if owner:
        fields.append(_ref("OwnerId", "owner_id", "User", "Owner", label="Owner ID", nillable=False))
    fields += [
        FieldSpec("CreatedDate", "datetime", "created_ms", label="Created Date", nillable=False,
                  createable=False, updateable=False, system=True),
        _ref("CreatedById", "created_by_id", "User", "CreatedBy", label="Created By ID", nillable=False,
             createable=False, updateable=False, system=True),
        FieldSpec("LastModifiedDate", "datetime", "modified_ms", label="Last Modified Date", nillable=False,
                  createable=False, updateable=False, system=True),
        _ref("LastModifiedById", "modified_by_id", "User", "LastModifiedBy", label="Last Modified By ID",
             nillable=False, createable=False, updateable=False, system=True),
        FieldSpec("SystemModstamp", "datetime", "modified_ms", label="System Modstamp", nillable=False,
                  createable=False, updateable=False, system=True),
    ]  # fmt: skip
    return tuple(fields)


def _full_name(first: str, last: str) -> FieldSpec:
    return FieldSpec(
        "Name", "string", None, label="Full Name", length=121, nillable=False, createable=False,
        updateable=False, expression={"kind": "concat", "columns": [first, last]}, name_field=True,
    )  # fmt: skip


def _const(name: str, type_: str, value: Any, **kw: Any) -> FieldSpec:
    return FieldSpec(
        name, type_, None, createable=False, updateable=False,
        expression={"kind": "const", "value": value}, **kw,
    )  # fmt: skip


INDUSTRIES = (
    "Agriculture", "Apparel", "Banking", "Biotechnology", "Chemicals", "Communications", "Construction",
    "Consulting", "Education", "Electronics", "Energy", "Engineering", "Entertainment", "Environmental",
    "Finance", "Food & Beverage", "Government", "Healthcare", "Hospitality", "Insurance", "Machinery",
    "Manufacturing", "Media", "Not For Profit", "Recreation", "Retail", "Shipping", "Technology",
    "Telecommunications", "Transportation", "Utilities", "Other",
)  # fmt: skip
ACCOUNT_TYPES = (
    "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller",
    "Installation Partner", "Technology Partner", "Other",
)  # fmt: skip
RATINGS = ("Hot", "Warm", "Cold")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")
STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
    "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
)  # fmt: skip
OPPORTUNITY_TYPES = (
    "Existing Customer - Upgrade", "Existing Customer - Replacement", "Existing Customer - Downgrade",
    "New Customer",
)  # fmt: skip
LEAD_STATUSES = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Closed - Converted",
    "Closed - Not Converted",
)
CASE_STATUSES = ("New", "Working", "Escalated", "Closed")
CASE_PRIORITIES = ("High", "Medium", "Low")
CASE_ORIGINS = ("Phone", "Email", "Web")
CASE_TYPES = ("Mechanical", "Electrical", "Electronic", "Structural", "Other")
CASE_REASONS = (
    "Installation", "Equipment Complexity", "Performance", "Breakdown", "Equipment Design", "Feedback",
    "Other",
)  # fmt: skip

ACCOUNT = ObjectSpec(
    "Account", "Account", "Accounts", "001", "data_accounts",
    (
        *record_system_fields(),
        _s("Name", "name", label="Account Name", nillable=False, required=True, name_field=True),
        _s("AccountNumber", "account_number", 40),
        _pick("Type", "type", ACCOUNT_TYPES, label="Account Type"),
        _pick("Industry", "industry", INDUSTRIES),
        _pick("Rating", "rating", RATINGS, label="Account Rating"),
        FieldSpec("AnnualRevenue", "currency", "annual_revenue", precision=18, scale=0),
        FieldSpec("NumberOfEmployees", "int", "number_of_employees", label="Employees", precision=8),
        FieldSpec("Phone", "phone", "phone", label="Account Phone", length=40),
        FieldSpec("Website", "url", "website", length=255),
        FieldSpec("BillingStreet", "textarea", "billing_street", length=255),
        _s("BillingCity", "billing_city", 40),
        _s("BillingState", "billing_state", 80, label="Billing State/Province"),
        _s("BillingPostalCode", "billing_postal_code", 20, label="Billing Zip/Postal Code"),
        _s("BillingCountry", "billing_country", 80),
        FieldSpec("Description", "textarea", "description", label="Account Description", length=32000),
        _ref("ParentId", "parent_id", "Account", "Parent", "ChildAccounts", label="Parent Account ID"),
    ),
)  # fmt: skip

CONTACT = ObjectSpec(
    "Contact", "Contact", "Contacts", "003", "data_contacts",
    (
        *record_system_fields(),
        _ref("AccountId", "account_id", "Account", "Account", "Contacts"),
        _pick("Salutation", "salutation", SALUTATIONS),
        _s("FirstName", "first_name", 40),
        _s("LastName", "last_name", 80, nillable=False, required=True),
        _full_name("first_name", "last_name"),
        _s("Title", "title", 128),
        _s("Department", "department", 80),
        FieldSpec("Email", "email", "email", length=80),
        FieldSpec("Phone", "phone", "phone", label="Business Phone", length=40),
        FieldSpec("MobilePhone", "phone", "mobile_phone", length=40),
        _pick("LeadSource", "lead_source", LEAD_SOURCES),
        FieldSpec("Birthdate", "date", "birthdate"),
        _s("MailingCity", "mailing_city", 40),
        _s("MailingCountry", "mailing_country", 80),
        FieldSpec("Description", "textarea", "description", label="Contact Description", length=32000),
    ),
)  # fmt: skip

OPPORTUNITY = ObjectSpec(
    "Opportunity", "Opportunity", "Opportunities", "006", "data_opportunities",
    (
        *record_system_fields(),
        _ref("AccountId", "account_id", "Account", "Account", "Opportunities"),
        _s("Name", "name", 120, nillable=False, required=True, name_field=True),
        _pick("StageName", "stage_name", STAGES, label="Stage", nillable=False, required=True),
        FieldSpec("CloseDate", "date", "close_date", nillable=False, required=True),
        FieldSpec("Amount", "currency", "amount", precision=18, scale=2),
        FieldSpec("Probability", "percent", "probability", label="Probability (%)", precision=3),
        _pick("Type", "type", OPPORTUNITY_TYPES, label="Opportunity Type"),
        _pick("LeadSource", "lead_source", LEAD_SOURCES),
        FieldSpec("IsClosed", "boolean", "is_closed", label="Closed", nillable=False, createable=False,
                  updateable=False),
        FieldSpec("IsWon", "boolean", "is_won", label="Won", nillable=False, createable=False,
                  updateable=False),
        FieldSpec("Description", "textarea", "description", length=32000),
    ),
)  # fmt: skip

LEAD = ObjectSpec(
    "Lead", "Lead", "Leads", "00Q", "data_leads",
    (
        *record_system_fields(),
        _pick("Salutation", "salutation", SALUTATIONS),
        _s("FirstName", "first_name", 40),
        _s("LastName", "last_name", 80, nillable=False, required=True),
        _full_name("first_name", "last_name"),
        _s("Company", "company", 255, nillable=False, required=True),
        _s("Title", "title", 128),
        FieldSpec("Email", "email", "email", length=80),
        FieldSpec("Phone", "phone", "phone", length=40),
        _pick("Status", "status", LEAD_STATUSES, label="Lead Status", nillable=False,
              default="Open - Not Contacted"),
        _pick("LeadSource", "lead_source", LEAD_SOURCES),
        _pick("Industry", "industry", INDUSTRIES),
        _pick("Rating", "rating", RATINGS),
        FieldSpec("AnnualRevenue", "currency", "annual_revenue", precision=18, scale=0),
        FieldSpec("NumberOfEmployees", "int", "number_of_employees", label="Employees", precision=8),
        _s("City", "city", 40),
        _s("Country", "country", 80),
        FieldSpec("IsConverted", "boolean", "is_converted", label="Converted", nillable=False,
                  createable=False, updateable=False),
    ),
)  # fmt: skip

CASE = ObjectSpec(
    "Case", "Case", "Cases", "500", "data_cases",
    (
        *record_system_fields(),
        _s("CaseNumber", "case_number", 30, label="Case Number", nillable=False, createable=False,
           updateable=False, name_field=True),
        _ref("AccountId", "account_id", "Account", "Account", "Cases"),
        _ref("ContactId", "contact_id", "Contact", "Contact", "Cases"),
        _s("Subject", "subject", 255),
        FieldSpec("Description", "textarea", "description", length=32000),
        _pick("Status", "status", CASE_STATUSES, nillable=False, default="New"),
        _pick("Priority", "priority", CASE_PRIORITIES, default="Medium"),
        _pick("Origin", "origin", CASE_ORIGINS, label="Case Origin"),
        _pick("Type", "type", CASE_TYPES, label="Case Type"),
        _pick("Reason", "reason", CASE_REASONS, label="Case Reason"),
        FieldSpec("IsClosed", "boolean", "is_closed", label="Closed", nillable=False, createable=False,
                  updateable=False),
        FieldSpec("ClosedDate", "datetime", "closed_ms", label="Closed Date", createable=False,
                  updateable=False),
    ),
)  # fmt: skip

USER = ObjectSpec(
    "User", "User", "Users", "005", "users",
    (
        FieldSpec("Id", "id", "id", label="User ID", length=18, nillable=False, createable=False,
                  updateable=False, system=True),
        FieldSpec("Username", "string", "username", length=80, nillable=False, createable=False,
                  updateable=False),
        _s("FirstName", "first_name", 40, createable=False, updateable=False),
        _s("LastName", "last_name", 80, nillable=False, createable=False, updateable=False),
        _full_name("first_name", "last_name"),
        FieldSpec("Email", "email", "email", length=128, nillable=False, createable=False, updateable=False),
        FieldSpec("IsActive", "boolean", "is_active", label="Active", nillable=False, createable=False,
                  updateable=False),
        _ref("ProfileId", "profile_id", "Profile", None, label="Profile ID", nillable=False,
             createable=False, updateable=False),
        _const("UserType", "picklist", "Standard", length=40, label="User Type"),
        _const("TimeZoneSidKey", "picklist", "GMT", length=40, label="Time Zone"),
        _const("LanguageLocaleKey", "picklist", "en_US", length=40, label="Language"),
        _const("LocaleSidKey", "picklist", "en_US", length=40, label="Locale"),
        FieldSpec("LastLoginDate", "datetime", "last_login_ms", createable=False, updateable=False),
        FieldSpec("CreatedDate", "datetime", "created_ms", nillable=False, createable=False,
                  updateable=False, system=True),
        FieldSpec("LastModifiedDate", "datetime", "modified_ms", nillable=False, createable=False,
                  updateable=False, system=True),
        FieldSpec("SystemModstamp", "datetime", "modified_ms", nillable=False, createable=False,
                  updateable=False, system=True),
    ),
    createable=False, updateable=False, deletable=False, soft_delete=False,
)  # fmt: skip

ORGANIZATION = ObjectSpec(
    "Organization", "Organization", "Organizations", "00D", "orgs",
    (
        FieldSpec("Id", "id", "id", label="Organization ID", length=18, nillable=False, createable=False,
                  updateable=False, system=True),
        _s("Name", "name", 80, nillable=False, createable=False, updateable=False, name_field=True),
        _s("InstanceName", "instance_name", 5, createable=False, updateable=False),
        FieldSpec("IsSandbox", "boolean", "is_sandbox", nillable=False, createable=False, updateable=False),
        _const("TrialExpirationDate", "datetime", None),
        _const("NamespacePrefix", "string", None, length=15),
        _const("OrganizationType", "picklist", "Developer Edition", length=40, label="Edition"),
        _const("DefaultLocaleSidKey", "picklist", "en_US", length=40, label="Locale"),
        FieldSpec("CreatedDate", "datetime", "created_ms", nillable=False, createable=False,
                  updateable=False, system=True),
    ),
    org_column="id", createable=False, updateable=False, deletable=False, soft_delete=False,
)  # fmt: skip

LOGIN_HISTORY = ObjectSpec(
    "LoginHistory", "Login History", "Login History", "0Ya", "login_history",
    (
        FieldSpec("Id", "id", "id", label="Login History ID", length=18, nillable=False, createable=False,
                  updateable=False, system=True),
        _ref("UserId", "user_id", "User", None, label="User ID", createable=False, updateable=False),
        FieldSpec("LoginTime", "datetime", "login_ms", label="Login Time", nillable=False,
                  createable=False, updateable=False),
        _s("LoginType", "login_type", 40, createable=False, updateable=False),
        _s("SourceIp", "source_ip", 39, label="Source IP", createable=False, updateable=False),
        _s("Status", "status", 128, createable=False, updateable=False),
        _s("Application", "app_name", 255, createable=False, updateable=False),
        _s("Browser", "user_agent", 64, createable=False, updateable=False),
        _const("Platform", "string", "Unknown", length=64),
        _const("LoginUrl", "string", None, length=256, label="Login URL"),
        _const("ApiType", "string", None, length=64, label="API Type"),
        _const("ApiVersion", "string", None, length=32, label="API Version"),
    ),
    createable=False, updateable=False, deletable=False, soft_delete=False,
)  # fmt: skip

STANDARD_OBJECTS: tuple[ObjectSpec, ...] = (
    ACCOUNT, CONTACT, OPPORTUNITY, LEAD, CASE, USER, ORGANIZATION, LOGIN_HISTORY,
)  # fmt: skip


def label_for(name: str) -> str:
    return _label(name)
