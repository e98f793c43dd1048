"""Rule-based threat detection for messages sent to candidates and elected officials.

Why rules: there is no labelled data set of threats against UK candidates to train a model on, and the
people who act on the result (a police adviser, a candidate) need to see *why* a message was flagged.
So this is a table of hand-written regular expressions with weights, each with a plain-English reason,
plus a few combinations and mitigations. Every score comes with its rule hits. Since issue 19 a
learned scorer sits beside these rules (:mod:`.threat_model`), trained on data nobody here wrote;
the rules stay as its explanations and as a floor (see :mod:`.scoring`).

What the rules cover
  * death threats ("I will kill you", "you're dead", "you won't live to see the count", "traitors get
    the rope") and encouragement to suicide ("kill yourself");
  * threats of violence ("I'll batter you", "you'll get hurt", "I'll break your legs");
  * threats of sexual violence (rape, sexual assault, "wait till I get you on your own");
  * references to the recipient's home, family or children and car *together with* menace
    ("we know where you live", "your kids go to St Mary's don't they", "nice car, shame if...");
  * weapons directed at the recipient ("a knife with your name on it", "one bullet");
  * UK political murders used as threats ("you'll end up like Jo Cox", "another David Amess",
    Airey Neave, Ian Gow, coded references to Batley or Leigh-on-Sea with menace);
  * incitement of others ("someone should shoot him", "£500 to whoever punches...", posting an address
    with "pay him a visit").

Mitigations that lower the score, each reported in ``mitigations``
  * counter-speech: quoting abuse to condemn or report it ("someone sent me 'I will kill you' — this
    is unacceptable", "reported to the police", "nobody should receive...") and remembrance of the
    murdered MPs;
  * quoted words: every hit lies inside quotation marks;
  * news and reported speech ("man charged after threatening to kill...", "court hears");
  * figurative political language is removed before matching ("kill the bill", "killing it",
    "slaughtered in the polls", "knife-edge seat", "car crash interview", "political suicide").

What the rules cannot do: sarcasm and irony, images, memes and emoji-only threats, coded or
community-specific language they have not been told about, threats spread over several messages, or
context such as who the sender is. A threat written as criticism ("you'll pay for this") is missed; a
condemnation that forgets to condemn is flagged. The result is a triage signal for a person, never a
decision.

Obfuscation handled by normalisation before matching: case, Unicode compatibility forms, zero-width
characters, leetspeak inside words (``k1ll``, ``r4pe``, ``r@pe``), repeated letters (``kiiiill``),
spaced or dotted letters (``k i l l``), masked words (``k*ll``, ``f***ing``) and text-speak
(``u``/``ur``/``yr``/``ya``).

Deterministic and fast: text is normalised with a handful of substitutions and then searched by one
combined regular expression per category (a few per message), so short messages score at tens of
thousands per second. Input is capped at ``MAX_CHARS`` characters.

The hand-written evaluation set is ``ballotguard/engines/tests/data/threat_messages.jsonl``; every fifth
line (1-based line numbers divisible by 5) is held out and was not looked at while tuning the rules.
Both portions were written by the same person as the rules, so their figures flatter the rules: on 15
threats written *after* the rules, in phrasings the set does not use ("you won't make it home", "a
taste of what Jo Cox got"), the first version caught only 3. Expect real recall well below the
set's figures until the rules are checked against real, labelled reports.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

CATEGORIES = ("death", "violence", "sexual_violence", "home", "family", "vehicle", "weapon", "political_murder", "incitement")
THRESHOLD = 0.5
# Longer messages are cut: threats are short, and the cap bounds the time one message can take.
MAX_CHARS = 20_000

_MATCHED_MAX = 60


@dataclass(frozen=True)
class RuleHit:
    rule: str  # stable id, e.g. "death.kill_you"
    category: str  # one of CATEGORIES
    reason: str  # plain English for a police adviser
    matched: str  # the (normalised) text span that matched, shortened


@dataclass(frozen=True)
class ThreatAssessment:
    score: float  # 0..1
    is_threat: bool  # score >= THRESHOLD
    hits: tuple[RuleHit, ...]
    mitigations: tuple[str, ...]
    # The text the rules matched (see :func:`prepare`), kept so the learned scorer need not redo it.
    prepared: str = field(default="", compare=False, repr=False)


# --------------------------------------------------------------------------------------------------
# Normalisation

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_LEET_RE = re.compile(r"(?<=[a-z])[013457@$]+|(?<=[a-z])!(?=[a-z])|(?<![\w@])@(?=[a-z]{2})")
_LEET_CHARS_RE = re.compile(r"[013457@$!]")
_SPACED_RE = re.compile(r"(?<![\w])[a-z](?:([ .\-_])[a-z])(?:\1[a-z]){2,}(?![\w])")
_INNER_APOSTROPHE_RE = re.compile(r"(?<=[a-z])'(?=[a-z])")
_REPEAT_RE = re.compile(r"([a-z])\1{2,}")
_DOUBLE_VOWEL_RE = re.compile(r"([aiu])\1")
_MASKED_RE = re.compile(r"\b[a-z]+\*+[a-z*]*\b|\b[a-z]\*+[a-z]*")
_TEXTSPEAK = {"u": "you", "ur": "your", "yr": "your", "ya": "you", "yu": "you", "r": "are", "im": "im", "gunna": "gonna", "gona": "gonna", "wanna": "want to", "wher": "where", "wen": "when", "hav": "have"}
_TEXTSPEAK_RE = re.compile(r"\b(?:u|ur|yr|ya|yu|r|gunna|gona|wanna|wher|wen|hav)\b")
# Words people mask with asterisks; a masked token is resolved only if exactly one of these fits.
_MASKABLE = (
    "fuck", "fucking", "fucked", "shit", "bitch", "cunt", "twat", "bastard", "slag", "whore", "kill", "killed", "killing", "rape", "raped", "raping", "rapist", "stab", "stabbed", "shoot", "shot", "murder", "murdered", "die", "dead", "hang", "hanged",
    "burn", "punch", "hurt", "knife", "bullet", "bomb", "gun",
)
_MASK_CACHE: dict[str, str] = {}


def _unmask(match: re.Match[str]) -> str:
    token = match.group(0)
    cached = _MASK_CACHE.get(token)
    if cached is not None:
        return cached
    shape = re.compile("".join("[a-z]" if ch == "*" else re.escape(ch) for ch in token) + r"\Z")
    # The first fit in _MASKABLE's order wins (s**t is more often "shit" than "shot").
    result = next((w for w in _MASKABLE if len(w) == len(token) and shape.match(w)), token)
    if len(_MASK_CACHE) < 4096:
        _MASK_CACHE[token] = result
    return result


def normalise(text: str) -> str:
    """Lower-case, de-obfuscated text on which the rules run (exposed for tests and debugging)."""
    text = text[:MAX_CHARS]
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).translate(_QUOTES)
    text = text.lower()
    if "*" in text:
        text = _MASKED_RE.sub(_unmask, text)
    if _LEET_CHARS_RE.search(text):
        text = _LEET_RE.sub(lambda m: "".join(_LEET[ch] for ch in m.group(0)), text)
    text = _SPACED_RE.sub(lambda m: re.sub(r"[ .\-_]", "", m.group(0)), text)
    text = _INNER_APOSTROPHE_RE.sub("", text)
    text = _REPEAT_RE.sub(r"\1\1", text)
    text = _DOUBLE_VOWEL_RE.sub(r"\1", text)  # "kiiill" -> "kiill" -> "kill"; "oo" and "ee" are real English
    text = _TEXTSPEAK_RE.sub(lambda m: _TEXTSPEAK[m.group(0)], text)
    return text


# --------------------------------------------------------------------------------------------------
# Vocabulary shared by the rules (applied to normalised text: no inner apostrophes, "u" -> "you")

_W = r"(?:[a-z]+\s+)"  # one filler word
_YOU = r"(?:you|yourself|yerself|yer|ye|thee)"
_YOUR = r"(?:your|yer|youre)"
_YOURS = r"(?:yours|your)"
_YOURE = r"(?:youre|your|you are|you r|you is|you were)"
_WILL_YOU = r"(?:youll|you will|you shall|youre going to|your going to|you are going to|youre gonna|your gonna|you gonna|you are gonna)"
_INTENT = (
    r"(?:i\s+will|ill|i\s+shall|i\s+am\s+going\s+to|im\s+going\s+to|i\s+am\s+gonna|im\s+gonna|imma|ima|id|i\s+would|i\s+swear\s+i\s+will|"
    r"we\s+will|well|we\s+shall|were\s+going\s+to|we\s+are\s+going\s+to|were\s+gonna|we\s+are\s+gonna|gonna|going\s+to|"
    r"(?:im|i\s+am|were|we\s+are)\s+coming\s+to|(?:i|we)\s+(?:want|intend|plan|mean)\s+to|(?:i|we)\s+(?:will|am|are)\s+(?:going\s+to\s+)?(?:be\s+)?the\s+one)"
)
_BODY = r"(?:face|head|skull|jaw|nose|teeth|legs?|arms?|neck|throat|knees?|kneecaps?|ribs|block|lights|brains|eyes?|back)"
_HARM_VERB = (
    r"(?:kill?|murder|stab|shoot|batter|punch|hurt|smash|beat|bash|kick|glass|slap|hit|strangle|choke|throttle|slit|burn|torch|hang|lynch|behead|"
    r"string\s+up|knife|maim|cripple|deck|lamp|headbutt|kneecap|break|snap|cut|bury|end|finish|destroy\s+your\s+face|set\s+fire\s+to|"
    r"run\s+over|knock|drag|put|do\s+in|sort\s+out|gut|bleed|petrol\s+bomb|firebomb|acid|stamp(?:\s+on)?|stomp(?:\s+on)?|jump\s+on|boot|knee)"
)
_VIOLENT_PP = (
    r"(?:killed|murdered|stabbed|shot|battered|beaten(?:\s+up)?|hurt|smashed|bashed|kicked\s+in|glassed|slapped|strangled|hanged|hung|lynched|"
    r"beheaded|knifed|maimed|crippled|decked|lamped|headbutted|kneecapped|set\s+(?:on\s+)?fire|burn(?:ed|t)|torched|run\s+over|done\s+in|"
    r"sorted\s+out|taken\s+out|dealt\s+with|wiped\s+out|put\s+down|put\s+in\s+(?:a\s+)?(?:hospital|wheelchair|coffin|box)|raped|attacked|jumped|"
    r"bottled|cut|bled|gutted|slashed|acid\s+attacked)"
)
# Said of an election, a kicking is a defeat: "you'll get battered at the polls".
_NOT_ELECTORAL = r"(?!\s+(?:at_the_polls|(?:in|by|come)\s+(?:may|june|november|the\s+(?:polls?|vote|locals|election|count|debate))|on\s+(?:thursday|polling\s+day|election\s+day)|next\s+(?:may|year|time\s+(?:round|at))))"
_RAPE = r"(?:rape[ds]?|raping|rapist|rapey)"
_THIRD = r"(?:him|her|them|this\s+(?:traitor|woman|man|clown|councillor|mp|idiot|scum|rat|creep)|that\s+(?:traitor|woman|man|clown|councillor|mp|idiot|scum|rat|creep)|the\s+mp|the\s+councillor|the\s+lot\s+of\s+them)"
_SOMEONE = r"(?:someone|somebody|some\s+one|some\s+body|anyone|anybody|one\s+of\s+you|one\s+of\s+us|a\s+patriot|patriots|people)"


@dataclass(frozen=True)
class _Rule:
    rule: str
    category: str
    weight: float
    reason: str
    pattern: str
    role: str = "hit"  # "hit": counts on its own; "ref"/"menace": only builds up a combination


# Weights: a rule at 0.8 or more is a threat on its own; "ref" and "menace" rules are weak (0.15-0.25)
# and make a threat only through a combination (see _COMBINATIONS) or several together.
_RULES: tuple[_Rule, ...] = (
    # ---- death
    _Rule("death.kill_you", "death", 0.9, "Threat to kill the recipient",
          rf"\b{_INTENT}\s+(?:{_W}{{0,3}})?(?:kill?|murder|end|hang|lynch|execute|slaughter|top|bury)\s+{_YOU}\b"),
    _Rule("death.finish_off", "death", 0.85, "Threat to finish the recipient off",
          rf"\b(?:finish|do|take)\s+{_YOU}\s+(?:off|in|out)\b{_NOT_ELECTORAL}"),
    _Rule("death.you_will_die", "death", 0.9, "Says the recipient will die or be killed",
          rf"\b{_WILL_YOU}\s+(?:{_W}{{0,2}})?(?:die|be\s+dead|be\s+killed|be\s+murdered|get\s+killed|get\s+murdered|be\s+hanged|hang|be\s+in\s+(?:a|your)\s+(?:box|coffin|grave)|be\s+six\s+feet\s+under|stop\s+breathing|not\s+live)\b"
          rf"|\b{_YOU}\s+will\s+(?:{_W}{{0,2}})?die\b|\b{_YOURE}\s+(?:going|goin|gonna)\s+(?:to\s+)?(?:die|in\s+the\s+ground|be\s+(?:killed|dead))\b"),
    _Rule("death.you_are_dead", "death", 0.85, "Tells the recipient they are dead (a death threat)",
          rf"\b{_YOURE}\s+(?:so\s+|fucking\s+|fuckin\s+|already\s+|a\s+)?dead(?:\s+(?:man|woman|meat|person)(?:\s+walking)?)?\b(?!\s+(?:to\s+me|to\s+us|loss|wrong|right|weight|end|cert|in\s+the\s+water|set|serious|keen|easy|good|lucky|boring|on\s+arrival\s+at\s+the|duck|horse))"
          rf"|\bdead\s+(?:man|woman|men|girl|boy)\s+walking\b"),
    _Rule("death.wont_live", "death", 0.85, "Says the recipient will not survive",
          rf"\b{_YOU}\s+(?:wont|will\s+not|aint\s+going\s+to|are\s+not\s+going\s+to)\s+(?:{_W}{{0,1}})?(?:live|survive|see\s+(?:the\s+)?(?:next|another|polling|christmas|election|result|summer|morning))"
          rf"|\bnever\s+breathe\s+again\b|\bstop\s+breathing\b|\bsix\s+feet\s+under\b|\bin\s+(?:a|your)\s+(?:box|coffin|body\s*bag)\s+(?:by|before|soon)\b|\bgoing\s+in\s+the\s+ground\b"),
    _Rule("death.last", "death", 0.7, "Says this will be the recipient's last (implied death threat)",
          rf"\b(?:it\s*ll|it\s+will|this\s+will|that\s+will|thatll|thisll)\s+be\s+{_YOUR}\s+last\b|\b{_YOUR}\s+last\s+(?:christmas|birthday|day|night|summer|election|count|campaign|week)\b(?!\s+as\b)"
          rf"|\b{_YOUR}\s+days\s+are\s+numbered\b|\bwont\s+see\s+another\b"),
    _Rule("death.kill_yourself", "death", 0.6, "Tells the recipient to kill themselves",
          r"\b(?:kill|hang|top|end)\s+(?:yourself|yerself|urself)\b|\bkys\b|\bgo\s+(?:and\s+)?die\b|\bneck\s+yourself\b"),
    _Rule("death.wish", "death", 0.55, "Wishes death on the recipient",
          rf"\b(?:hope|wish|pray)\s+(?:that\s+)?{_YOU}\s+(?:{_W}{{0,1}})?(?:die|dies|get\s+killed|get\s+shot|get\s+stabbed|drop\s+dead\s+soon|burn\s+to\s+death)\b|\b{_YOU}\s+deserve\s+to\s+die\b|\b(?:deserves?\s+to|should|ought\s+to)\s+be\s+(?:killed|shot|hanged|hung|executed|strung\s+up|lynched|put\s+down|stabbed|burned|burnt)\b"),
    _Rule("death.rope", "death", 0.85, "Threatens hanging (\"the rope\") for the recipient or for traitors",
          r"\b(?:traitors?|you)\s+(?:get|gets|will\s+get|deserve|deserves)\s+the\s+rope\b|\bhang(?:ed)?\s+(?:you\s+)?for\s+treason\b|\bfrom\s+a\s+lamp\s*post\b|\btraitors\s+will\s+hang\b|\byoure\s+first\b.{0,20}\brope\b|\brope\b.{0,30}\byoure\s+first\b"),
    _Rule("death.be_the_one", "death", 0.6, "Says the sender will carry out the harm",
          r"\b(?:i\s*ll|i\s+will|i\s+would|id)\s+be\s+the\s+one\s+(?:to\s+do\s+it|who\s+does\s+it|doing\s+it)\b|\bit\s+will\s+be\s+(?:me|my\s+doing)\b|\bill\s+do\s+it\s+for\s+you\b|\band\s+it\s*ll\s+be\s+me\b"),
    # ---- violence
    _Rule("violence.harm_you", "violence", 0.85, "Threat of violence against the recipient",
          rf"\b{_INTENT}\s+(?:{_W}{{0,3}})?{_HARM_VERB}\s+(?:{_W}{{0,3}})?(?:{_YOU}\b|{_YOUR}\s+(?:{_W}{{0,1}})?{_BODY}\b)"
          rf"|\b{_INTENT}\s+(?:find|get|catch|get\s+to|come\s+for|come\s+after|hunt)\s+{_YOU}\b(?!\s+(?:a|an|the|some|votes?|out\s+of\s+office|out\s+at))"),
    _Rule("violence.body", "violence", 0.85, "Threat to injure part of the recipient's body",
          rf"\b(?:{_HARM_VERB}|smash|break|bash|cave|kick|punch|knock)\w*\s+(?:{_W}{{0,1}})?{_YOUR}\s+(?:{_W}{{0,1}})?{_BODY}\s*(?:in|off|out)?\b"),
    _Rule("violence.you_will_be_hurt", "violence", 0.8, "Says the recipient will be hurt",
          rf"\b(?:{_WILL_YOU}|{_YOURE})\s+(?:{_W}{{0,1}})?(?:get|be|getting|being)\s+(?:{_W}{{0,1}})?{_VIOLENT_PP}\b{_NOT_ELECTORAL}"),
    _Rule("violence.beating", "violence", 0.8, "Promises the recipient a beating",
          rf"\b(?:give|gives|giving)\s+{_YOU}\s+(?:a|one|what)\s+(?:{_W}{{0,2}})?(?:hiding|kicking|beating|slap|smack|battering|pasting|doing|good\s+one|you\s+deserve)\b{_NOT_ELECTORAL}"
          rf"|\b{_YOU}\s+(?:want|need|deserve|are\s+getting|re\s+getting|are\s+due|will\s+get|ll\s+get)\s+(?:a\s+)?(?:{_W}{{0,1}})?(?:kicking|beating|hiding|slap|battering|smack|pasting)\b{_NOT_ELECTORAL}"
          rf"|\bready\s+for\s+a\s+(?:beating|kicking|hiding)\b|\beating\s+through\s+a\s+straw\b|\blimping\s+home\b|\bmake\s+{_YOU}\s+(?:suffer|bleed|pay\s+in\s+blood|scream)\b"
          rf"|\bput\s+{_YOU}\s+(?:through|in|into)\s+(?:the\s+|a\s+)?(?:window|hospital|wheelchair|ground|wall|coma)\b|\bthe\s+(?:shit|crap|hell|life)\s+out\s+of\s+{_YOU}\b|\bdaylights\s+out\s+of\s+{_YOU}\b"),
    _Rule("violence.shut_up_for_good", "violence", 0.8, "Threatens to silence the recipient by force",
          rf"\bshut\s+{_YOU}\s+up\s+(?:for\s+good|permanently|forever)\b|\bwith\s+my\s+(?:fists|hands|boot|boots)\b|\bnot\s+a\s+threat,?\s+(?:its\s+)?a\s+promise\b"),
    _Rule("violence.get_to_you", "violence", 0.55, "Says the sender will reach the recipient despite protection",
          rf"\b(?:still|will|ill|gonna)\s+get\s+to\s+{_YOU}\b|\bbring\s+(?:all\s+the\s+)?security\b|\bno\s+one\s+(?:will|can)\s+(?:stop\s+me|protect\s+{_YOU}|save\s+{_YOU})\b|\bregret\s+that\s+vote[.\s]+physically\b"),
    _Rule("violence.coming_for_you", "violence", 0.6, "Says the sender is coming for the recipient",
          rf"\b(?:(?:were|we\s+are|im|i\s+am|theyre|they\s+are)\s+)?coming\s+for\s+{_YOU}\b(?!r)|\b(?:were|we\s+are|im|i\s+am)\s+(?:coming|on\s+(?:our|my)\s+way)\s+(?:round|over)\b"),
    _Rule("violence.coming_to_you", "violence", 0.6, "Veiled threat that harm is coming to the recipient",
          rf"\b(?:get|gets|getting)\s+what(?:s|\s+is)\s+coming(?:\s+to\s+{_YOU})?\b(?!\s+at_the_polls)|\bsee\s+what\s+happens\s+to\s+{_YOU}\b|\b{_YOU}\s+(?:wont|will\s+not)\s+make\s+it\s+home\b"
          rf"|\b(?:catch|get|find)\s+{_YOU}\s+(?:on\s+{_YOUR}\s+own|alone)\b|\bwaiting\s+for\s+{_YOU}\b.{{0,40}}\b(?:alone|on\s+{_YOUR}\s+own|after\s+(?:the|your)\s+(?:surgery|count|meeting))\b"
          rf"|\b(?:drown|string)\w*\s+(?:{_YOU}|{_THIRD})\s*(?:up|in)?\b"),
    _Rule("violence.menace", "violence", 0.25, "Menacing phrase",
          rf"\bwatch\s+{_YOUR}\s+back\b|\bsee\s+what\s+happens\b|\bsee\s+{_YOU}\s+soon\b|\bsleep\s+(?:tight|well)\b|\bshame\s+if\b|\bwould\s+be\s+a\s+shame\b|\bbe\s+a\s+shame\s+if\b|\bbe\s+careful\b|\bcareful\s+(?:at|on|when|walking)\b|\bwatch\s+out\b|\bthink\s+on\b|\bthink\s+about\s+it\b|"
          rf"\byoure\s+next\b|\b(?:is|are|r)\s+next\b|\bnoted\b|\bsame\s+time\s+tomorrow\b|\bwont\s+be\s+(?:so\s+)?safe\b|\bnot\s+(?:be\s+)?safe\b|\bwasnt\s+safe\b|\bfair\s+game\b|\bpay\s+for\s+this\b|\bsomething\s+happened\b|\bhow\s+does\s+it\s+feel\b|\bincoming\b|\bwont\s+be\s+polite\b|\bwont\s+like\s+it\b|\bwe\s+know\b|\bi\s+know\s+(?:what|which|where)\b|\byou\s+wont\s+enjoy\b|\bjust\s+saying\b|\bsafety\b|\bscared\b|\bdidnt\s+see\s+it\s+coming\b|\bsame\s+way\b|\bthat\s+could\s+be\s+you\b|\bwill\s+happen\s+to\s+you\b|\bgood\s+locks\b|\bdangerous\s+place|\bask\s+(?:sir\s+david|jo\s+cox|amess)\b",
          "menace"),
    # ---- sexual violence
    _Rule("sexual_violence.rape", "sexual_violence", 0.9, "Threat or wish of rape",
          rf"\b{_RAPE}\s+{_YOU}\b|\b(?:{_WILL_YOU}|{_YOU}|hope\s+{_YOU}|{_YOU}\s+need\s+to|{_YOU}\s+deserve\s+to|{_YOURE}(?:\s+going\s+to)?)\s+(?:{_W}{{0,1}})?(?:get|be|getting|being)\s+(?:gang\s*)?raped\b|\b(?:gang\s*)?{_RAPE}\b.{{0,25}}\b(?:{_YOU}|{_YOURE})\b(?=.{{0,40}}\b(?:deserve|need|ill|i\s+will|deliver|volunteer|film))"
          rf"|\b(?:a\s+good|needs?\s+a|deserve\s+a)\s+(?:{_W}{{0,1}})?{_RAPE}\b|\b{_RAPE}\s+(?:her|him)\b(?=.{{0,30}})|\b(?:needs?\s+to|should)\s+{_RAPE}\b|\bgang\s*{_RAPE}\b|\b{_RAPE}\s+(?:is|would\s+be)\s+(?:the\s+least|too\s+good)\b"),
    _Rule("sexual_violence.assault", "sexual_violence", 0.85, "Threat of sexual assault",
          rf"\bforce\s+(?:myself|ourselves)\s+on\s+{_YOU}\b|\bsexually\s+assault\w*\s+{_YOU}\b|\bgrope\s+{_YOU}\b|\bmolest\s+{_YOU}\b|\bheld\s+down\s+and\s+(?:taught|shown)\b|\bbegging\s+me\s+to\s+stop\b|\b(?:i|we)\s+(?:know\s+)?what\s+(?:i|we)\s*(?:d|would|will|ll)\s+do\s+to\s+{_YOU}\b|\bget\s+{_YOU}\s+(?:alone|on\s+{_YOUR}\s+own)\b"),
    # ---- home
    _Rule("home.know_where_you_live", "home", 0.85, "Says the sender knows where the recipient lives",
          rf"\b(?:i|we|they|everyone|people)\s+(?:all\s+)?(?:now\s+)?(?:know|found|have|got|know\s+exactly)\s+(?:wh?ere?\s+{_YOU}\s+(?:live|sleep|stay)|{_YOUR}\s+(?:(?:home\s+|phone\s+)?number\s+and\s+{_YOUR}\s+)?(?:home\s+)?address|which\s+house\s+is\s+{_YOURS}|{_YOUR}\s+house)\b|\bfound\s+{_YOUR}\s+(?:home\s+)?address\b"),
    _Rule("home.attack", "home", 0.85, "Threat to attack the recipient's home",
          rf"\b(?:brick|bricks|petrol|rock|firework|fireworks|paint|something)\s+through\s+(?:{_YOUR}|the|ur)\s+(?:window|windows|letterbox|door)\b|\b{_YOUR}\s+(?:house|home|office|flat)\s+(?:will|is\s+going\s+to|gonna|is\s+gonna)\s+(?:burn|go\s+up|get\s+(?:burned|burnt|torched|done))\b|\b(?:burn|torch|firebomb|petrol\s+bomb)\s+(?:{_YOUR}|his|her|their)\s+(?:house|home|flat|office)\b|\bthrough\s+the\s+letterbox\b"),
    _Rule("home.at_your_door", "home", 0.6, "Says the sender has been or will be at the recipient's home",
          rf"\b(?:outside|at|past|round|to|near)\s+(?:{_YOUR}\s+(?:house|home|door|front\s+door|flat|gaff)|yours)\b(?!\s+(?:surgery|office))|\bknocking\s+on\s+{_YOUR}\s+door\b|\bpop\s+round\b"),
    _Rule("home.ref", "home", 0.2, "Reference to the recipient's home",
          rf"\b{_YOUR}\s+(?:{_W}{{0,1}})?(?:house|home|address|front\s+door|door|windows?|letterbox|locks?|flat|street|road|gaff|garden)\b|\bhouse\s+of\s+yours\b|\b(?:nice|lovely|big|posh|fancy)\s+(?:house|home|gaff|front\s+door|garden)\b|\bwhere\s+{_YOU}\s+(?:live|sleep)\b|\b(?:on|in)\s+[a-z]+\s+(?:road|street|avenue|lane|close|drive|crescent)\b|\bblue\s+door\b|\byour\s+lights\b|\b3\s*am\b",
          "ref"),
    # ---- family
    _Rule("family.harm", "family", 0.9, "Threat to harm the recipient's family or children",
          rf"\b(?:{_INTENT}\s+)?(?:{_HARM_VERB}|get|{_RAPE})\s+{_YOUR}\s+(?:{_W}{{0,1}})?(?:kids?|children|child|son|daughter|wife|husband|family|mum|mam|mom|dad|partner|grandkids|grandchildren|little\s+(?:girl|boy|ones))\b"),
    _Rule("family.ref", "family", 0.2, "Reference to the recipient's family or children",
          rf"\b{_YOUR}\s+(?:{_W}{{0,1}})?(?:kids?|children|child|son|daughter|wife|husband|family|familys|mum|mam|mom|dad|partner|grandkids|grandchildren|little\s+(?:girl|boy|ones))\b|\bkids\s+of\s+yours\b|\b(?:lovely|nice|beautiful|sweet)\s+(?:family|kids|children|wife|husband|daughter|son)\b|\bfamily\s+you\s+(?:have|got)\b|\bthe\s+wife\s+and\s+kids\b|\bschool\s+(?:run|gates?)\b|\bwhat\s+school\b|\bgrowing\s+up\s+without\b|\bwidow\b",
          "ref"),
    _Rule("family.menace", "family", 0.3, "Menace aimed at a family member",
          r"\b(?:go|goes)\s+to\s+(?:st|saint)\s+[a-z]+s?\b|\bwhat\s+school\b|\bwalking\s+home\b|\bgetting\s+big\b|\blives\s+on\s+(?:her|his)\s+own\b|\bmake\s+you\s+watch\b|\bgrowing\s+up\s+without\b|\bdidnt\s+get\s+home\b|\bwidow\b|\bat\s+the\s+(?:park|bus\s+stop|school)\b",
          "menace"),
    # ---- vehicle
    _Rule("vehicle.sabotage", "vehicle", 0.85, "Threat to sabotage or attack the recipient's car",
          rf"\b(?:cut|tamper\w*|mess\w*\s+with)\s+{_YOUR}\s+(?:brake|brakes|brake\s+lines?|tyres?)\b|\bbrakes?\s+(?:failed|fail|failing)\b|\bcheck\s+under\s+{_YOUR}\s+car\b|\b(?:torch|burn|smash|trash|key|slash|firebomb)\w*\s+{_YOUR}\s+(?:car|motor|tyres?|windows?|windscreen|van)\b|\bwatch\s+the\s+brakes\b"),
    _Rule("vehicle.ref", "vehicle", 0.2, "Reference to the recipient's car",
          rf"\b{_YOUR}\s+(?:{_W}{{0,1}})?(?:car|motor|van|tyres?|brakes?|golf|fiesta|corsa|focus|polo|bmw|audi|merc|range\s+rover|tesla|car\s+insurance)\b|\bnice\s+(?:car|motor)\b|\bwhich\s+(?:car|motor)\s+is\s+yours\b",
          "ref"),
    _Rule("vehicle.menace", "vehicle", 0.3, "Menace about a vehicle",
          r"\b(?:goes?|went|go)\s+up\s+in\s+flames\b|\bcovers?\s+fire\b|\bsame\s+spot\b|\beasy\s+to\s+(?:spot|find)\b|\bthen\s+you\b|\blovely\b",
          "menace"),
    # ---- weapons
    _Rule("weapon.directed", "weapon", 0.85, "Weapon mentioned as directed at the recipient",
          rf"\b(?:knife|blade|machete|gun|shotgun|rifle|bullet|axe|hammer|crossbow|bolt|acid|bat|petrol\s+can|bomb|noose)\s+(?:{_W}{{0,1}})?(?:with\s+{_YOUR}\s+name|for\s+{_YOU}|in\s+{_YOU}|in\s+{_YOUR}|through\s+{_YOUR}|ready\s+for\s+{_YOU}|waiting\s+for\s+{_YOU}|to\s+{_YOUR}\s+(?:next\s+)?(?:surgery|house|door|office))\b"
          rf"|\b(?:sharpened|loaded|bought|got)\s+(?:my\s+|a\s+)?(?:knife|blade|machete|gun|shotgun|axe|crossbow)\s+for\s+{_YOU}\b|\bacid\s+in\s+(?:{_YOUR}|the)\s+face\b|\bone\s+bullet\b|\b(?:bullet|knife|blade|axe)\s+(?:in|through)\s+(?:{_YOUR}|the)\s+(?:head|skull|back|heart|chest|face)\b"
          rf"|\bbring\s+a\s+(?:blade|knife|gun|machete|bat)\b|\b(?:{_YOU}|{_YOUR})\b.{{0,30}}\bwith\s+(?:a|my|the)\s+(?:knife|gun|shotgun|blade|machete|axe|hammer|crossbow|bat|baseball\s+bat|petrol|acid)\b|\b(?:a|my)\s+(?:knife|gun|shotgun)\b.{{0,60}}\b(?:use\s+it|your\s+name|your\s+list|his\s+list|on\s+(?:his|my)\s+list)\b|\b(?:you|youre)\s+on\s+(?:his|my|our|the)\s+list\b"),
    _Rule("weapon.stab_shoot", "weapon", 0.85, "Threat to stab or shoot the recipient",
          rf"\b(?:stab|shoot|knife|slit|gun\s+down|shank|machete)\w*\s+{_YOU}\b(?!\s+(?:a\s+(?:look|glance|message|email|text|line)|down\s+(?:at|in)))|\bslit\s+{_YOUR}\s+throat\b|\bshoot\s+{_YOU}\s+like\b"),
    # ---- political murders (UK)
    _Rule("political_murder.name", "political_murder", 0.15, "Mentions a murdered UK politician",
          r"\bjo\s+cox\b|\bamess\b|\bsir\s+david\b|\bairey\s+neave\b|\bian\s+gow\b|\bbatley\b|\bbirstall\b|\bleigh\s*-?\s*on\s*-?\s*sea\b|\bbelfairs\b",
          "ref"),
    _Rule("political_murder.end_up_like", "political_murder", 0.9, "Compares the recipient's fate to a murdered UK politician",
          rf"\b(?:end\s+up|ending\s+up|finish|go|going)\s+(?:{_W}{{0,2}})?(?:like|the\s+(?:same\s+)?way\s+(?:of|as)|same\s+way\s+as)\s+(?:{_W}{{0,1}})?(?:jo\s+cox|cox|amess|david\s+amess|sir\s+david|airey\s+neave|neave|ian\s+gow|gow)\b"
          rf"|\b(?:another|next|new|the\s+next|a\s+second|do\s+a)\s+(?:jo\s+cox|cox|amess|david\s+amess|airey\s+neave|ian\s+gow)\b|\b(?:jo\s+cox|cox|amess)\s+(?:2\.o|2\.0|2|two|part\s+(?:2|two))\b"
          rf"|\b(?:jo\s+cox|cox|amess|neave|gow|sir\s+david)\b.{{0,40}}\b(?:had\s+it\s+coming|deserved\s+it|got\s+what\s+(?:she|he)\s+deserved|will\s+happen\s+to\s+{_YOU}|could\s+be\s+{_YOU}|so\s+do\s+{_YOU}|{_YOURE}\s+next|happen\s+to\s+{_YOU}|{_YOU}d\s+deserve|{_YOU}\s+would\s+deserve|sleep\s+tight|didnt\s+see\s+it\s+coming)\b"
          rf"|\blike\s+(?:jo\s+cox|cox|amess)\b.{{0,30}}\b(?:youll|you\s+will|you)\b"),
    # ---- incitement
    _Rule("incitement.someone_should", "incitement", 0.85, "Encourages others to harm the recipient",
          rf"\b{_SOMEONE}\s+(?:{_W}{{0,1}})?(?:should|needs?\s+to|need\s+to|has\s+to|must|ought\s+to|please|go\s+and|just|would|will|could)\s+(?:{_W}{{0,2}})?(?:{_HARM_VERB}|{_RAPE}|take\s+(?:{_THIRD}|{_YOU})\s+out|do\s+(?:{_THIRD}|{_YOU})\s+in|teach\s+(?:{_THIRD}|{_YOU})|put\s+(?:{_THIRD}|{_YOU})\s+in|run\s+(?:{_THIRD}|{_YOU})\s+over|end\s+(?:{_THIRD}|{_YOU})|sort\s+(?:{_THIRD}|{_YOU})\s+out|pay\s+(?:{_THIRD}|{_YOU})\s+a\s+visit)\b"
          rf"|\b(?:do\s+the\s+world\s+a\s+favou?r\s+and|time\s+someone)\s+(?:{_W}{{0,1}})?(?:{_HARM_VERB}|taught|teach|end)\b|\bwhy\s+(?:hasnt|has\s+no\s*one|havent)\s+(?:anyone|anybody|someone|somebody)\s+(?:{_W}{{0,1}})?(?:{_VIOLENT_PP}|hanged|hung|shot|killed)\b"),
    _Rule("incitement.group", "incitement", 0.7, "Calls for a whole group of politicians to be killed or attacked",
          r"\b(?:kill|hang|shoot|gas|burn|stab|string\s+up|lynch|execute)\s+(?:all|every|the\s+lot\s+of)\s+(?:the\s+|of\s+the\s+)?(?:tories|tory|labour|reform|lib\s*dems?|greens?|snp|plaid|mps|councillors|politicians|traitors|remainers|brexiteers|lefties|socialists|them)\b"),
    _Rule("incitement.call", "incitement", 0.85, "Calls on others to attack or visit the recipient",
          rf"\b(?:whos|who\s+is|who\s+will|who\s+wants\s+to)\s+(?:going\s+to\s+)?(?:sort|deal\s+with|take\s+out|do\s+in)\b|\b(?:to|for)\s+(?:whoever|anyone\s+who|the\s+first\s+person\s+who)\s+(?:{_W}{{0,1}})?(?:punch|hit|kill|stab|shoot|smack|slap|attack|deck|lamp|eggs?)\w*\b"
          rf"|\b(?:pay|paying)\s+(?:{_THIRD}|the\s+mp|the\s+councillor|her|him)\s+a\s+visit\b|\bgo\s+(?:and\s+)?visit\s+(?:{_THIRD})\b|\bgive\s+(?:{_THIRD})\s+a\s+(?:kicking|beating|hiding|slap)\b|\b(?:drag|pull)\s+(?:{_THIRD})\s+out\b"
          rf"|\b(?:spread|share|post)\s+(?:his|her|their)\s+address\b|\baddress\s+in\s+(?:the\s+)?comments\b|\b(?:egg|brick|firebomb|burn)\s+(?:his|her|their)\s+(?:house|home|office|car)\b|\b(?:shoot|hang|kill|stab)\s+the\s+lot\s+of\s+them\b"
          rf"|\bnobody\s+would\s+convict\b|\b(?:hope|wish)\s+(?:someone|somebody)\s+(?:{_W}{{0,1}})?(?:runs?\s+(?:{_THIRD}|{_YOU})\s+over|{_HARM_VERB})\b|\b(?:burn|torch)\s+(?:his|her|their)\s+(?:house|office)\s+down\b|\bexpect\s+them\s+to\s+act\b|\bwith\s+(?:him|her|them)\s+in\s+it\b"),
)

# Combinations: a weak reference and a weak menace together make a threat.
_COMBINATIONS = (
    ("home", "home.with_menace", 0.8, "Reference to the recipient's home together with menace"),
    ("family", "family.with_menace", 0.85, "Reference to the recipient's family or children together with menace"),
    ("vehicle", "vehicle.with_menace", 0.8, "Reference to the recipient's car together with menace"),
    ("political_murder", "political_murder.with_menace", 0.85, "Reference to a murdered UK politician together with menace"),
)

# --------------------------------------------------------------------------------------------------
# Mitigations

# Figurative political language is blanked out before the rules run.
_FIGURATIVE_RE = re.compile(
    r"\bkill(?:ing)?\s+the\s+bill\b|\bkilling\s+it\b|\b(?:is|are|was|were|its|s)\s+killing\s+(?:our|the|this|small|local|us|me|my|farmers|business|businesses|high)\b|\bkilling\s+(?:our|the|this|small|local)\s+\w+|"
    r"\b(?:feet|back|legs|head)\s+(?:are|is)\s+killing\b|\bkill\s+for\s+a\s+(?:cup|pint|brew|coffee|tea|sandwich)\b|\bfight(?:ing)?\s+(?:for|against)\b|\bfight\s+you\s+all\s+the\s+way\b|\battack\s+(?:ads?|lines?|dogs?)\b|"
    r"\bslaughtered\s+(?:in|at)\s+the\s+(?:polls?|ballot|election|locals)\b|\bknife[\s-]*edge\b|\bknifed\s+(?:their|his|her|its)\s+own\b|\bcar[\s-]*crash\s+(?:interview|budget|performance|of\s+a)\b|"
    r"\bpolitical(?:ly)?\s+suicid\w*\b|\bdead\s+(?:cert|certainty|heat|loss|horse|duck|in\s+the\s+water|end)\b|\bshot\s+down\b|\bnail\s+in\s+the\s+coffin\b|\bbloodbath\b|\bbombshell\b|\btorpedo\w*\b|"
    r"\bblow\s+\w+(?:\s+\w+)?\s+away\b|\bblew\s+up\s+in\b|\bexecut\w+\s+a\s+u[\s-]*turn\b|\btake\s+(?:you|them|him|her)\s+down\s+(?:in|at)\s+(?:may|the\s+polls?|the\s+ballot|the\s+election|november|june)\b|"
    r"\bis\s+murder\s+(?:for|on)\b|\bmurdered\s+by\s+the\s+(?:rain|weather|wind)\b|\bhammered\s+(?:in|at)\b|\bsmash\s+it\b|\bknockout\b|"
    r"\bkick\s+(?:the\s+)?\w+\s+out\b(?!\s+of)|\bhatchet\s+(?:job|to)\b|\bbleeding\s+votes\b|\bcrush\s+\w+\s+at\b|\bwipe\s+the\s+floor\b|\bdead\s+to\s+me\b|\bdrop\s+dead\s+gorgeous\b|\bbite\s+the\s+bullet\b|\b(?:magic|silver)\s+bullet\b|\bbullet\s+points?\b|"
    r"\bgo\s+to\s+hell\b|\bpunch\w*\s+the\s+air\b|\b(?:voters|electorate|public|people|constituents)\s+(?:will\s+|to\s+|should\s+)?(?:give\s+(?:you|him|her|them)\s+a\s+(?:kicking|hiding|bloody\s+nose)|destroy|punish|kick)\b|\bkill(?:ing)?\s+(?:me|us)\s+with\s+(?:kindness|laughter)\b|\bdying\s+to\b|\blaughing\s+to\s+death\b|\bover\s+my\s+dead\s+body\b"
)

# Electoral context, replaced by a marker that rules can see ("you'll be battered at the polls").
_ELECTORAL_RE = re.compile(r"\b(?:at|in|on)\s+the\s+(?:ballot\s+box|ballots?|polls?|polling\s+booth|election|locals|next\s+election|general\s+election|hustings|debate)\b|\bat\s+the\s+next\s+election\b|\bin\s+the\s+vote\b")

_COUNTER_RE = re.compile(
    r"\breport(?:ed|ing)\b|\bpolice\s+(?:have|informed|know|are\s+aware|told)\b|\bop(?:eration)?\s+(?:bridger|ford)\b|\b999\b|\b101\b|\barrested\b|\blogged\s+with\b|"
    r"\bunacceptable\b|\bdisgusting\b|\bsickening\b|\bcondemn\w*\b|\bsolidarity\b|\bstand\s+with\b|\bno\s+place\s+in\b|\bbeyond\s+the\s+pale\b|\bnot\s+banter\b|\bis\s+a\s+crime\b|\bcriminal\s+offen[cs]e\b|"
    r"\bis\s+incitement\b|\bnot\s+free\s+speech\b|\bnot\s+politics\b|\bmust\s+(?:end|stop)\b|\bneeds\s+to\s+(?:change|stop|end)\b|\bnever\s+ok(?:ay)?\b|\bshould\s+be\s+ashamed\b|\bshame\s+on\b|"
    r"\b(?:nobody|no\s+one|no\s+candidate|no\s+mp|no\s+councillor)\s+(?:should|deserves)\b|\bshould\s+(?:have\s+to|receive|get)\b.{0,20}\b(?:this|threats?|messages?)\b|\bwont\s+be\s+intimidated\b|\bnot\s+be\s+intimidated\b|\bdo\s+not\s+speak\s+for\b|\bdont\s+speak\s+for\b|"
    r"\bstop\s+it\b|\bhope\s+they\s+catch\b|\bnormali[sz]e\b|\bwhoever\s+(?:did\s+(?:this|it)|threatened|sent|wrote)\b|\bto\s+the\s+person\s+who\b|\bdear\s+trolls\b|\benough\s+is\s+enough\b|"
    r"\bsomeone\s+sent\s+me\b|\b(?:i|we)\s+(?:received|got)\s+(?:a|an|this)\b|\b(?:i|we)\s+was\s+sent\b|\b(?:i|we)\s+were\s+sent\b|\bi\s+was\s+sent\b|\bive\s+been\s+told\b|\b(?:was|were|been)\s+told\b|\btold\s+(?:she|he|they|my|our|her|him|them)\b|"
    r"\bmessages\s+(?:saying|like|ive|i\s+have|i\s+get)\b|\bmy\s+inbox\b|\ba\s+letter\s+(?:saying|threatening)\b|\bscreenshots?\b|\b(?:saying|wrote|writing|replied|shouted|posting|posted|sent)\s*(?:['\x22:]|that\b|(?:she|he|they|i|we)(?:d|ll|\s+would|\s+will|\s+should)?\b)|\bcalling\s+for\b|\bsaid\s+to\s+me\b|\bthreaten\w*\s+(?:an?|her|his|the|to|you|our|my|me)\b|"
    r"\bthreats\s+(?:like|to|of|against)\b|\bdeath\s+threats\b|\bhate\s+speech\b|\babuse\s+of\b|\bthings\s+people\s+(?:have\s+)?said\b|\bwhat\s+(?:women|candidates|mps|councillors)\b.{0,30}\b(?:face|dealing)\b|"
    r"\bremember\s+(?:jo|david|sir\s+david|ian|airey)\b|\blove\s+like\s+jo\b|\bthinking\s+of\b|\bmore\s+in\s+common\b|\bmurdered\s+doing\b|\bsince\s+the\s+murders?\s+of\b|\bbe\s+kind\b|\bprotect\s+(?:our\s+)?(?:mps|candidates|councillors)\b"
)

_NEWS_RE = re.compile(
    r"\bpolice\s+(?:say|said|investigat\w*|appeal|offer)\b|\bcourt\s+(?:hears|heard|told)\b|\btold\s+the\s+court\b|\bjailed\b|\bcharged\b|\binquest\b|\bsurvey\b|\breport\s+finds\b|\bwas\s+(?:killed|murdered)\s+by\b|"
    r"\bcautioned\b|\bappeal\s+for\s+witnesses\b|\bbbc\b|\breports?\b$|\bvandalised\b|\bgraffiti\b|\bjudge\s+says\b|\bno\s+further\s+action\b|\bfunds\b|\bhome\s+office\b|\belectoral\s+commission\b|"
    r"\b(?:man|woman|teenager|defendant|boy|girl|pensioner)\s+(?:\w+\s+){0,2}(?:charged|jailed|arrested|cautioned|convicted|sentenced|told|admits|denies|guilty)\b|\byears\s+since\b|\bin\s+(?:19|20)\d\d\b|\bwithdraw\b"
)

_QUOTED_RE = re.compile(r"(?:(?<=^)|(?<=[\s(:,\-]))'(?=\S)(.+?)(?<=\S)'(?=[\s.,;:!?)\-]|$)|\"([^\"]+)\"")


@dataclass(frozen=True)
class _Compiled:
    regex: re.Pattern[str]
    rules: tuple[_Rule, ...]


def _first_chars(pattern: str) -> tuple[frozenset[str] | None, bool]:
    """The characters a match of ``pattern`` can start with (None if that cannot be worked out, or is
    "anything"), and whether every match starts at a word boundary. Used only to skip positions faster,
    so it errs towards (None, False): that costs speed, never a match."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, 0)
    except Exception:  # pragma: no cover - a Python without the private parser
        return None, False

    unanchored = False  # whether some match can start without a word boundary before it

    def first(items, anchored: bool = False) -> tuple[set[str] | None, bool]:  # (chars or None for any, can be empty)
        nonlocal unanchored
        out: set[str] = set()
        for op, av in items:
            if op is c.AT and av is c.AT_BOUNDARY:
                anchored = True
                continue
            if op in (c.LITERAL, c.IN):
                unanchored = unanchored or not anchored
            if op is c.LITERAL:
                return out | {chr(av)}, False
            if op is c.IN:
                chars: set[str] = set()
                for member, value in av:
                    if member is c.LITERAL:
                        chars.add(chr(value))
                    elif member is c.RANGE and value[1] - value[0] < 512:
                        chars.update(chr(x) for x in range(value[0], value[1] + 1))
                    else:
                        return None, False
                return out | chars, False
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue  # zero width: ignoring the condition only widens the set
            if op in (c.SUBPATTERN, c.ATOMIC_GROUP, c.BRANCH, c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
                if op is c.SUBPATTERN:
                    alternatives, minimum = [av[-1]], 1
                elif op is c.ATOMIC_GROUP:
                    alternatives, minimum = [av], 1
                elif op is c.BRANCH:
                    alternatives, minimum = av[1], 1
                else:
                    alternatives, minimum = [av[2]], av[0]
                nullable = minimum == 0
                for alternative in alternatives:
                    chars, empty = first(alternative, anchored)
                    if chars is None:
                        return None, False
                    out |= chars
                    nullable = nullable or empty
                if not nullable:
                    return out, False
                continue
            return None, False
        return out, True

    chars, nullable = first(parsed)
    if chars is None or nullable or not chars:
        return None, False
    return frozenset(chars), not unanchored and all(ch.isalnum() or ch == "_" for ch in chars)


def _fast_compile(pattern: str) -> re.Pattern[str]:
    """Compile with a cheap test of the next character in front, so that the scan skips most positions
    without trying every alternative there. The text is already lower-case, so no IGNORECASE either."""
    starts, at_word_start = _first_chars(pattern)
    if starts:
        if all(ord(ch) <= 0xFFFF for ch in starts):
            chars = "".join(f"\\u{ord(ch):04x}" for ch in sorted(starts))
            pattern = ("(?<!\\w)" if at_word_start else "") + "(?=[" + chars + "])(?:" + pattern + ")"
    return re.compile(pattern, re.DOTALL)


def _compile() -> tuple[_Compiled, ...]:
    by_category: dict[tuple[str, str], list[_Rule]] = {}
    for rule in _RULES:
        assert rule.category in CATEGORIES, rule.rule
        # Strong rules are grouped by category; references and menace in a group each. One alternation
        # finds one match per position, so a weak reference must never hide a strong rule at the same place.
        key = (rule.category, "hit") if rule.role == "hit" else ("", rule.role)
        by_category.setdefault(key, []).append(rule)
    compiled = []
    for rules in by_category.values():
        # Each rule is a named group in one alternation per group: one scan per group.
        pattern = "|".join(f"(?P<r{i}>{rule.pattern})" for i, rule in enumerate(rules))
        compiled.append(_Compiled(_fast_compile(pattern), tuple(rules)))
    return tuple(compiled)


_COMPILED = _compile()
_FIGURATIVE_RE = _fast_compile(_FIGURATIVE_RE.pattern)
_ELECTORAL_RE = _fast_compile(_ELECTORAL_RE.pattern)
_COUNTER_RE = _fast_compile(_COUNTER_RE.pattern)
_NEWS_RE = _fast_compile(_NEWS_RE.pattern)


def _short(span: str) -> str:
    span = " ".join(span.split())
    return span if len(span) <= _MATCHED_MAX else span[: _MATCHED_MAX - 1] + "…"


def prepare(text: str) -> str:
    """The text the rules match: :func:`normalise`, then figurative political language blanked out
    and electoral phrases marked (shared with :mod:`.threat_model`, whose lexicons run on it too)."""
    norm = normalise(text)
    if _FIGURATIVE_RE.search(norm):
        norm = _FIGURATIVE_RE.sub(" _ ", norm)
    if _ELECTORAL_RE.search(norm):
        norm = _ELECTORAL_RE.sub(" at_the_polls ", norm)
    return norm


def assess_threat(text: str) -> ThreatAssessment:
    """Score one message for threats. Deterministic; the same text always gives the same result."""
    if not text or not text.strip():
        return ThreatAssessment(0.0, False, (), ())
    norm = normalise(text)
    mitigations: list[str] = []

    if _FIGURATIVE_RE.search(norm):
        norm = _FIGURATIVE_RE.sub(" _ ", norm)
        mitigations.append("figurative political language (e.g. 'kill the bill', 'slaughtered in the polls')")
    if _ELECTORAL_RE.search(norm):
        norm = _ELECTORAL_RE.sub(" at_the_polls ", norm)
        mitigations.append("electoral sense ('at the polls', 'at the ballot box')")

    found: list[tuple[_Rule, int, int, str]] = []
    seen_rules: set[str] = set()
    for compiled in _COMPILED:
        for match in compiled.regex.finditer(norm):
            rule = compiled.rules[int(match.lastgroup[1:])]  # type: ignore[index]
            if rule.rule in seen_rules:
                continue
            seen_rules.add(rule.rule)
            found.append((rule, match.start(), match.end(), match.group(0)))

    if not found:
        return ThreatAssessment(0.0, False, (), tuple(mitigations), norm)

    hits: list[RuleHit] = []
    weights: list[float] = []
    menace = next((span for r, _s, _e, span in found if r.role == "menace"), "")
    strong = next((span for r, _s, _e, span in found if r.role == "hit"), "")
    refs: dict[str, str] = {}
    for rule, _start, _end, span in found:
        if rule.role == "ref":
            refs.setdefault(rule.category, span)
    for rule, _start, _end, span in found:
        hits.append(RuleHit(rule.rule, rule.category, rule.reason, _short(span)))
        weights.append(rule.weight)
    for category, rule_id, weight, reason in _COMBINATIONS:
        other = menace or (strong if category == "political_murder" else "")
        if category in refs and other:
            hits.append(RuleHit(rule_id, category, reason, _short(f"{refs[category]} … {other}")))
            weights.append(weight)

    score = 1.0
    for weight in weights:
        score *= 1.0 - weight
    score = 1.0 - score

    # Mitigations
    factor = 1.0
    threat_spans = [(s, e) for r, s, e, _ in found if r.role == "hit" or r.role == "ref"]
    quoted = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(norm)]
    if quoted and threat_spans and all(any(qs <= s and e <= qe + 1 for qs, qe in quoted) for s, e in threat_spans):
        factor *= 0.5
        mitigations.append("the threatening words are quoted")
    if _COUNTER_RE.search(norm):
        factor *= 0.3
        mitigations.append("quotes or reports abuse to condemn it (counter-speech)")
    if _NEWS_RE.search(norm):
        factor *= 0.4
        mitigations.append("news or reported speech")
    score = round(min(1.0, max(0.0, score * factor)), 4)
    return ThreatAssessment(score, score >= THRESHOLD, tuple(hits), tuple(mitigations), norm)
