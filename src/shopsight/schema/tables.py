"""The retail data contract: one declaration per table.

Amounts are in the order's currency; timestamps are UTC; ``order_date`` and
``business_date`` are the local business date of the selling store (or of the web shop).
"""

from __future__ import annotations

from shopsight.schema.model import Column, ColumnType, Masking, Privacy, Table

S, I, F, M, B, D, T = (  # noqa: E741 - short aliases keep the declarations readable
    ColumnType.STRING,
    ColumnType.INTEGER,
    ColumnType.FLOAT,
    ColumnType.MONEY,
    ColumnType.BOOLEAN,
    ColumnType.DATE,
    ColumnType.TIMESTAMP,
)

STORE_ID_PATTERN = r"^[0-9]{4}$"
STORE_ID_TEXT = "a four-digit store id, such as 0001"
CURRENCIES = ("USD", "CAD", "GBP", "EUR", "JPY", "AUD", "CHF", "SEK", "MXN", "BRL", "INR", "CNY")
NOT_SALES_STATUSES = ("cancelled", "returned", "refunded")
"""Order statuses that are not net sales: every analysis of sales (the copilot, Global
Market Pulse, Market Intelligence) leaves them out. The daily analysis reports store sales
as the stores' POS uploads do instead (every order but cancelled ones; a return counts on
the day it is made, not on the day of the sale), so its figures match what stores sent."""
COUNTRY_PATTERN = r"^[A-Z]{2}$"
COUNTRY_TEXT = "a two-letter country code in capitals, such as US"
# dotted IPv4, or IPv6 (hex groups and colons, an IPv4 tail allowed): anything else, a card
# number in the wrong column say, would pass the truncation unchanged
IP_PATTERN = r"^(([0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$"


def _updated_at() -> Column:
    return Column("updated_at", T, "When the source system last changed this row; the "
                  "latest version of a key wins.")


STORES = Table(
    name="stores",
    description="Physical stores (ids 0001..0011 in the demo). Web sales have no store.",
    order=10,
    primary_key=("store_id",),
    version_column="updated_at",
    columns=(
        Column("store_id", S, "Four-digit store id.", required=True, pattern=STORE_ID_PATTERN,
               pattern_text=STORE_ID_TEXT),
        Column("name", S, "Store name.", required=True, max_length=200),
        Column("region", S, "Sales region.", required=True, max_length=100),
        Column("country", S, "ISO 3166-1 alpha-2 country code.", required=True,
               pattern=COUNTRY_PATTERN,
               pattern_text=COUNTRY_TEXT),
        Column("city", S, "City.", max_length=200),
        Column("timezone", S, "IANA time zone of the store, e.g. America/New_York.",
               required=True, max_length=64, pattern=r"^[A-Za-z_]+(/[A-Za-z0-9_+\-]+)*$",
               pattern_text="an IANA time zone, such as Europe/Berlin"),
        Column("currency", S, "Currency the store sells in.", required=True, allowed=CURRENCIES),
        Column("opened_on", D, "Opening date."),
        Column("square_meters", F, "Sales floor area.", minimum=0, maximum=100000),
        _updated_at(),
    ),
)

PRODUCTS = Table(
    name="products",
    description="The catalogue: one row per sellable product (SKU).",
    order=10,
    primary_key=("product_id",),
    version_column="updated_at",
    columns=(
        Column("product_id", S, "Product id (SKU).", required=True, max_length=64),
        Column("name", S, "Product name.", required=True, max_length=300),
        Column("category", S, "Top-level category, e.g. Electronics.", required=True,
               max_length=100),
        Column("subcategory", S, "Second-level category.", max_length=100),
        Column("brand", S, "Brand.", max_length=100),
        Column("unit_cost", M, "Cost of one unit to the retailer, in list currency.",
               minimum=0, maximum=1_000_000),
        Column("list_price", M, "Regular selling price, in list currency.", required=True,
               minimum=0, maximum=1_000_000),
        Column("currency", S, "Currency of unit_cost and list_price.", allowed=CURRENCIES,
               default="USD"),
        Column("launched_on", D, "First day on sale."),
        Column("discontinued", B, "No longer sold."),
        _updated_at(),
    ),
)

CUSTOMERS = Table(
    name="customers",
    description="Registered customers. Emails and phones are pseudonymised in curated; "
    "SSNs (collected for store credit) never leave raw/.",
    order=20,
    primary_key=("customer_id",),
    version_column="updated_at",
    columns=(
        Column("customer_id", S, "Customer id.", required=True, max_length=64),
        Column("first_name", S, "Given name.", privacy=Privacy.PII, max_length=100),
        Column("last_name", S, "Family name.", privacy=Privacy.PII, max_length=100),
        Column("email", S, "Email address; pseudonymised in curated.", privacy=Privacy.PII,
               masking=Masking.PSEUDONYMISE, max_length=320),
        Column("phone", S, "Phone number; pseudonymised in curated.", privacy=Privacy.PII,
               masking=Masking.PSEUDONYMISE, max_length=40),
        Column("ssn", S, "US social security number; dropped in curated.", privacy=Privacy.PII,
               masking=Masking.DROP, pattern=r"^[0-9]{3}-?[0-9]{2}-?[0-9]{4}$"),
        Column("country", S, "Country of residence.", pattern=COUNTRY_PATTERN,
               pattern_text=COUNTRY_TEXT),
        Column("city", S, "City of residence.", max_length=200),
        Column("postal_code", S, "Postal code.", privacy=Privacy.PII, max_length=20),
        Column("home_store_id", S, "Store the customer usually buys at.",
               references="stores.store_id"),
        Column("signup_date", D, "Date the customer registered."),
        Column("marketing_opt_in", B, "Accepts marketing email."),
        _updated_at(),
    ),
)

ORDERS = Table(
    name="orders",
    description="One row per order (store transaction or web order). A minimal export "
    "with order_id, customer_id, order_date and total_amount is enough for the customer "
    "analyses.",
    order=30,
    primary_key=("order_id",),
    version_column="updated_at",
    aliases=("sales", "transactions"),
    columns=(
        Column("order_id", S, "Order id.", required=True, max_length=64),
        Column("customer_id", S, "Buyer; empty for anonymous store sales and guest checkouts.",
               references="customers.customer_id", max_length=64),
        Column("order_date", D, "Local business date of the sale.", required=True),
        Column("ordered_at", T, "Time of the sale, UTC."),
        Column("status", S, "Order status.", allowed=(
            "pending", "paid", "shipped", "delivered", "completed", "cancelled", "returned",
            "refunded"), default="completed"),
        Column("channel", S, "Sales channel.", allowed=("store", "web", "mobile"),
               default="web"),
        Column("store_id", S, "Selling store; empty for web and mobile orders.",
               references="stores.store_id"),
        Column("currency", S, "Currency of the amounts.", allowed=CURRENCIES, default="USD"),
        Column("discount_amount", M, "Order-level discount (promo codes); promotional prices "
               "are already in order_items.unit_price.", minimum=0,
               maximum=10_000_000),
        Column("total_amount", M, "Amount paid for the order after discounts.", required=True,
               minimum=0, maximum=10_000_000),
        Column("promo_code", S, "Promotion code used, if any.", max_length=64),
        _updated_at(),
    ),
)

ORDER_ITEMS = Table(
    name="order_items",
    description="Order lines. Returns are order statuses, so quantities are positive.",
    order=40,
    primary_key=("order_id", "line_number"),
    version_column="updated_at",
    columns=(
        Column("order_id", S, "Order the line belongs to.", required=True,
               references="orders.order_id", max_length=64),
        Column("line_number", I, "Position of the line in the order.", required=True,
               minimum=1, maximum=10_000),
        Column("product_id", S, "Product sold.", required=True,
               references="products.product_id", max_length=64),
        Column("quantity", I, "Units sold.", required=True, minimum=1, maximum=100_000),
        Column("unit_price", M, "Price charged per unit before line discount.", required=True,
               minimum=0, maximum=1_000_000),
        Column("discount_amount", M, "Discount on the line.", minimum=0, maximum=10_000_000),
        Column("on_promotion", B, "Sold under a promotion."),
        _updated_at(),
    ),
)

PAYMENTS = Table(
    name="payments",
    description="Payment attempts. Card data is PCI: the card number is kept as first 6 + "
    "last 4 with a keyed token, the CVV never leaves raw/.",
    order=40,
    primary_key=("payment_id",),
    version_column="updated_at",
    columns=(
        Column("payment_id", S, "Payment id.", required=True, max_length=64),
        Column("order_id", S, "Order paid.", required=True, references="orders.order_id"),
        Column("customer_id", S, "Paying customer.", references="customers.customer_id"),
        Column("paid_at", T, "Time of the attempt, UTC.", required=True),
        Column("amount", M, "Amount attempted.", required=True, minimum=0,
               maximum=10_000_000),
        Column("currency", S, "Currency of the amount.", allowed=CURRENCIES, default="USD"),
        Column("method", S, "Payment method.", required=True,
               allowed=("card", "paypal", "gift_card", "cash", "bank_transfer")),
        Column("status", S, "Outcome.", required=True,
               allowed=("authorized", "captured", "declined", "refunded", "chargeback")),
        # 13 to 19 digits (ISO/IEC 7812), each perhaps after one space or dash
        Column("card_number", S, "Primary account number; masked to first 6 + last 4.",
               privacy=Privacy.PCI, masking=Masking.PAN, pattern=r"^[0-9](?:[ \-]?[0-9]){12,18}$",
               pattern_text="a card number of 13 to 19 digits"),
        Column("cvv", S, "Card verification value; dropped.", privacy=Privacy.PCI,
               masking=Masking.DROP, pattern=r"^[0-9]{3,4}$"),
        Column("card_holder", S, "Name on the card; pseudonymised.", privacy=Privacy.PCI,
               masking=Masking.PSEUDONYMISE, max_length=200),
        Column("card_expiry", S, "Expiry as MM/YY.", privacy=Privacy.PCI,
               pattern=r"^(0[1-9]|1[0-2])/[0-9]{2}$",
               pattern_text="an expiry as MM/YY, such as 09/27"),
        Column("card_brand", S, "Card network.", allowed=("visa", "mastercard", "amex",
                                                            "discover", "other")),
        Column("billing_country", S, "Billing address country.", pattern=COUNTRY_PATTERN,
               pattern_text=COUNTRY_TEXT),
        Column("ip_address", S, "Client IP address (IPv4 or IPv6); truncated to its network.",
               privacy=Privacy.PII, masking=Masking.IP_TRUNCATE, max_length=45,
               pattern=IP_PATTERN,
               pattern_text="an IPv4 or IPv6 address"),
        Column("ip_country", S, "Country of the client IP.", pattern=COUNTRY_PATTERN,
               pattern_text=COUNTRY_TEXT),
        _updated_at(),
    ),
)

INVENTORY = Table(
    name="inventory",
    description="Daily stock snapshots per location (store or warehouse) and product.",
    order=50,
    primary_key=("snapshot_date", "location_id", "product_id"),
    version_column="updated_at",
    aliases=("inventory_snapshots", "stock"),
    columns=(
        Column("snapshot_date", D, "Date of the snapshot (end of day).", required=True),
        Column("location_id", S, "Store id or warehouse id.", required=True, max_length=32),
        Column("location_type", S, "Kind of location.", allowed=("store", "warehouse"),
               default="store"),
        Column("product_id", S, "Product.", required=True, references="products.product_id"),
        Column("on_hand", I, "Units in stock.", required=True, minimum=0, maximum=10_000_000),
        Column("reorder_point", I, "Stock level that triggers a reorder.", minimum=0,
               maximum=10_000_000),
        Column("on_order", I, "Units ordered from suppliers, not yet received.", minimum=0,
               maximum=10_000_000),
        _updated_at(),
    ),
)

STORE_SALES = Table(
    name="store_sales",
    description="The daily store sales upload: one file per store and business date, "
    "one row per POS line. A corrected re-upload replaces the store's day.",
    order=60,
    primary_key=("store_id", "business_date", "transaction_id", "line_number"),
    aliases=("daily_sales", "store_upload"),
    file_replaces=("store_id", "business_date"),
    columns=(
        Column("store_id", S, "Store that sold.", required=True, pattern=STORE_ID_PATTERN,
               pattern_text=STORE_ID_TEXT,
               references="stores.store_id"),
        Column("business_date", D, "Local business date.", required=True),
        Column("transaction_id", S, "POS transaction (basket) id.", required=True,
               max_length=64),
        Column("line_number", I, "Line in the transaction.", required=True, minimum=1,
               maximum=10_000),
        Column("sold_at", T, "Time of the sale, UTC."),
        Column("product_id", S, "Product sold.", required=True, max_length=64),
        Column("quantity", I, "Units sold.", required=True, minimum=1, maximum=100_000),
        Column("unit_price", M, "Price per unit before discount.", required=True, minimum=0,
               maximum=1_000_000),
        Column("discount_amount", M, "Discount on the line.", minimum=0, maximum=10_000_000),
        Column("net_amount", M, "Amount paid for the line.", required=True, minimum=0,
               maximum=10_000_000),
        Column("unit_cost", M, "Cost per unit, when the POS knows it.", minimum=0,
               maximum=1_000_000),
        Column("currency", S, "Currency of the amounts; empty means the store's currency.",
               allowed=CURRENCIES),
        Column("payment_type", S, "How the basket was paid.", allowed=(
            "cash", "card", "mobile", "gift_card", "other")),
    ),
)

TABLES: tuple[Table, ...] = (
    STORES, PRODUCTS, CUSTOMERS, ORDERS, ORDER_ITEMS, PAYMENTS, INVENTORY, STORE_SALES
)
