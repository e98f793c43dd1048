"""The wording of the civility pledge. Raise ``PLEDGE_VERSION`` when the words change in substance:
each signature records the version its signer agreed to. The Welsh wording (in the catalogue) is the
same pledge: change both together, and raise the version once."""

from django.utils.translation import gettext_lazy as _

PLEDGE_VERSION = 1
PLEDGE_TITLE = _("The civility pledge")
PLEDGE_INTRO = _("As a candidate in this election, I pledge to campaign in a way that respects voters, the other candidates and everyone who makes the election work.")
PLEDGE_POINTS = (
    (_("Civil tone"), _("I will debate policies and records, not attack people. I will not use or encourage abusive, threatening or demeaning language, in person or online.")),
    (_("Integrity"), _("I will not knowingly make false statements about other candidates, and I will correct my mistakes when they are pointed out to me.")),
    (_("Respect"), _("I will treat other candidates, their teams, election staff and voters with courtesy, and I will not tolerate harassment or intimidation by those who campaign for me.")),
    (_("Responsibility"), _("I will ask my supporters to follow this pledge, and I will speak out when anyone in this election is targeted with abuse.")),
)
