"""The notice card page (``common-info.html``) the search results link to, reduced to its header.

The real card is a large page; the replay serves only the ``cardMainInfo`` header block laid out
as the EIS does (title, number link, stage, object, customer, price, the date sections), which is
what a listing-level reader of the card needs. The full facts are in the XML card and 223 JSON.
"""

from __future__ import annotations

from html import escape

from crawler.replay.model import ru_money
from crawler.replay.pages import LAW_TITLE
from crawler.replay.pages import Listing
from crawler.replay.pages import ru_date


def _section(title: str, content: str) -> str:
    return (
        '<div class="cardMainInfo__section">'
        f'<span class="cardMainInfo__title">{escape(title)}</span>'
        f'<span class="cardMainInfo__content">{content}</span></div>\n'
    )


def render_card_page(entry: Listing) -> bytes:
    """``/epz/order/notice/<slug>/view/common-info.html`` (44-FZ) or the 223-FZ ``common-info.html``."""
    p = entry.purchase
    v = entry.version
    dates = [("Размещено", entry.published_at), ("Обновлено", entry.updated_at)]
    if entry.has_deadline:
        dates.append(("Окончание подачи заявок", v.deadline))
    price = escape(ru_money(v.nmck)).replace("\xa0", "&nbsp;")
    date_sections = "".join(_section(title, ru_date(moment)) for title, moment in dates)
    page = f"""<!DOCTYPE html>
<html lang="ru">
<head>
<meta charset="UTF-8">
<title>Общая информация о закупке № {p.reg_number}</title>
</head>
<body>
<div class="cardWrapper outerWrapper">
<div class="cardHeaderBlock">
<div class="cardMainInfo row">
<div class="col-9">
<div class="cardMainInfo__title d-flex text-truncate">{LAW_TITLE[p.law]} {escape(p.method.name)}</div>
<div class="cardMainInfo__status">
<span class="cardMainInfo__purchaseLink distancedText">
<a href="{escape(p.card_url)}">№ {p.reg_number}</a></span>
<span class="cardMainInfo__state distancedText">{escape(entry.status)}</span>
</div>
{_section("Объект закупки", escape(p.title))}{_section("Заказчик", f"<a>{escape(p.customer.name)}</a>")}</div>
<div class="col-3">
<div class="price"><span class="cardMainInfo__title">Начальная цена</span>
<span class="cardMainInfo__content cost">{price}&nbsp;{p.currency.sign}</span></div>
<div class="date">
{date_sections}</div>
</div>
</div>
</div>
</div>
</body>
</html>
"""
    return page.encode("utf-8")
