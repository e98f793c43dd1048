"""Real places for the demo, typed by hand from ONS codes (OGL v3) and mySociety overlaps (CC BY 4.0).

Population shares for the two-force constituencies are mySociety's postcode-based estimates.
"""

FORCES = [
    # code, name, nation
    ("E23000001", "Metropolitan Police", "England"),
    ("E23000034", "City of London Police", "England"),
    ("E23000014", "West Midlands Police", "England"),
    ("E23000005", "Greater Manchester Police", "England"),
    ("E23000027", "Hertfordshire Constabulary", "England"),
    ("E23000026", "Bedfordshire Police", "England"),
    ("W15000003", "South Wales Police", "Wales"),
    ("S23000009", "Police Scotland", "Scotland"),
]

REGIONS = [
    ("E12000007", "London"),
    ("E12000005", "West Midlands"),
    ("E12000002", "North West"),
    ("E12000006", "East of England"),
    ("W92000004", "Wales"),
    ("S92000003", "Scotland"),
]

COUNCILS = [
    # code, name, region, force
    ("E09000033", "Westminster", "E12000007", "E23000001"),
    ("E09000001", "City of London", "E12000007", "E23000034"),
    ("E08000025", "Birmingham", "E12000005", "E23000014"),
    ("E08000003", "Manchester", "E12000002", "E23000005"),
    ("E07000099", "North Hertfordshire", "E12000006", "E23000027"),
    ("E06000056", "Central Bedfordshire", "E12000006", "E23000026"),
    ("W06000015", "Cardiff", "W92000004", "W15000003"),
    ("S12000036", "City of Edinburgh", "S92000003", "S23000009"),
]

CONSTITUENCIES = [
    # code, name, region, administering council, [(force, population share)], primary first
    ("E14001172", "Cities of London and Westminster", "E12000007", "E09000033", [("E23000001", 0.9402), ("E23000034", 0.0598)]),
    ("E14001100", "Birmingham Yardley", "E12000005", "E08000025", [("E23000014", 1.0)]),
    ("E14001352", "Manchester Central", "E12000002", "E08000003", [("E23000005", 1.0)]),
    ("E14001289", "Hitchin", "E12000006", "E07000099", [("E23000027", 0.5633), ("E23000026", 0.4367)]),
    ("W07000089", "Cardiff East", "W92000004", "W06000015", [("W15000003", 1.0)]),
    ("S14000078", "Edinburgh East and Musselburgh", "S92000003", "S12000036", [("S23000009", 1.0)]),
]

WARDS = [
    # code, name, council
    ("E05011118", "Acocks Green", "E08000025"),
    ("E05011166", "Sheldon", "E08000025"),
    ("E05011169", "South Yardley", "E08000025"),
    ("E05011185", "Yardley East", "E08000025"),
    ("E05011186", "Yardley West & Stechford", "E08000025"),
]

PARTIES = [
    # Electoral Commission ids; which nations they stand in
    ("PP53", "Labour Party", None),
    ("PP52", "Conservative and Unionist Party", None),
    ("PP90", "Liberal Democrats", None),
    ("PP63", "Green Party", None),
    ("PP7931", "Reform UK", None),
    ("PP102", "Scottish National Party (SNP)", "Scotland"),
    ("PP77", "Plaid Cymru - The Party of Wales", "Wales"),
    ("ynmp-party:2", "Independent", None),
]
