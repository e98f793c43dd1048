"""The wording of the civility pledge. Raise ``PLEDGE_VERSION`` when the words change in substance:
each signature records the version its signer agreed to."""

PLEDGE_VERSION = 1
PLEDGE_TITLE = "The civility pledge"
PLEDGE_INTRO = "As a candidate in this election, I pledge to campaign in a way that respects voters, the other candidates and everyone who makes the election work."
PLEDGE_POINTS = (
    ("Civil tone", "I will debate policies and records, not attack people. I will not use or encourage abusive, threatening or demeaning language, in person or online."),
    ("Integrity", "I will not knowingly make false statements about other candidates, and I will correct my mistakes when they are pointed out to me."),
    ("Respect", "I will treat other candidates, their teams, election staff and voters with courtesy, and I will not tolerate harassment or intimidation by those who campaign for me."),
    ("Responsibility", "I will ask my supporters to follow this pledge, and I will speak out when anyone in this election is targeted with abuse."),
)
