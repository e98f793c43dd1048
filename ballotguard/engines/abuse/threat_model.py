"""A learned threat scorer: harm × target × intent, with a calibrated probability and its reasons.

Why this shape. The rules in :mod:`.threats` were written by the same hands as the set they were
tuned on; on threats written by others they catch a minority (HateCheck threats 0.23, an independent
UK-candidate set 0.42). No labelled corpus of threats against candidates exists, and the one labelled
threat set we have (HateCheck, Röttger et al. 2021) is templated and aimed at protected groups. A
model with thousands of word features trained on it would learn its templates. So the learned part
is deliberately small: a logistic regression over about a dozen *axis* features, each of which says
whether the message has

* **harm**: an explicit act of serious harm (kill, stab, burn, drown, "get rid of", "put an end to"),
  a weapon or method (knife, rope, acid, petrol), a death outcome (dead, coffin, funeral), or an
  *implied* harm that carries a threat to the person without a harm verb: a reference to a murdered
  MP, surveillance of the person's life (their home, children, school, office, staff, routine) with
  knowledge or menace ("we know when you leave"), a promise to be waiting where they will be ("we'll
  be waiting for you"; "see you at the hustings" only beside menace or surveillance, because
  supporters write it too), or a menacing consequence ("or else", "you've been warned");
* **target**: a person or group the harm is aimed at (you/your, him/her/them, those/all/every X, the
  person's home or family);
* **intent**: a stance that makes the harm an intention, a demand or a wish rather than a report:
  first-person future ("I'll", "we're going to", "let's"), a normative claim ("should", "deserve",
  "the only solution", "should be legal"), a wish ("hope"), or imminence ("tonight", "soon",
  "next time").

and their products (harm ∧ target, harm ∧ intent, harm ∧ target ∧ intent), against the things that
make harm words safe: negation ("I would never"), counter-speech, news and quotation (the rules'
mitigations), figurative political language (blanked before matching), a question, and harm aimed at
an object ("kill the bill"). The rules' own score is one more feature, so the model learns how far to
trust them, and the rules stay a floor: a message they flag stays flagged (see
:mod:`.scoring`).

Which words make each axis is written here, from general knowledge of how threats are phrased, never
from the evaluation set. The *weights* are learned (``ballotguard train-threat-model``, see
:mod:`.threat_training`) on data nobody on the team wrote; the probability is calibrated (Platt) on
out-of-fold scores, and the flagging threshold is chosen there for recall at ≤ 10 % false alarms.
Implied harms have no training examples at all: that they count as harm is a design assumption, which
the model card (``docs/model-card-threats.md``) states and which only real reports can test.

Pure Python and NumPy, no Django; the artefact is a small JSON file. Deterministic.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ballotguard.engines.abuse import threats

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_ARTIFACT = MODELS_DIR / "threat-v2.json"

# --------------------------------------------------------------------------------------------------
# Lexicons (applied to :func:`threats.normalise` text: lower case, no inner apostrophes, u -> you)

_HARM_ACT = (
    r"kill(?:s|ed|ing)?|murder(?:s|ed|ing)?|slaughter\w*|massacre\w*|butcher\w*|execut(?:e|ed|es|ing|ion)|exterminat\w*|eradicat\w*|"
    r"eliminat\w*|annihilat\w*|wipe\s+(?:\w+\s+){0,3}out|wiped\s+out|get\s+rid\s+of|put\s+an\s+end\s+to|end\s+(?:\w+\s+){0,2}li(?:fe|ves)|"
    r"stab(?:s|bed|bing)?|shoot(?:s|ing)?|shot|gun\s+(?:\w+\s+)?down|hang(?:s|ed|ing)?|hung|lynch\w*|behead\w*|decapitat\w*|"
    r"strangl\w*|chok(?:e|ed|ing)|suffocat\w*|drown(?:s|ed|ing)?|burn(?:s|ed|t|ing)?|torch(?:ed|ing)?|set\s+(?:\w+\s+){0,2}(?:on\s+)?fire|"
    r"gas(?:sed|sing)?|poison\w*|bomb(?:s|ed|ing)?|blow\s+(?:\w+\s+){0,2}up|run\s+(?:\w+\s+){0,2}over|"
    r"beat(?:en|ing)?\s+(?:\w+\s+){0,2}(?:up|to\s+death|senseless)|batter\w*|punch\w*|kick\w*\s+(?:\w+\s+){0,2}in|smash\w*|bash\w*|"
    r"hurt(?:s|ing)?|harm(?:ed|ing)?|injur\w*|maim\w*|cripple\w*|mutilat\w*|tortur\w*|slit\w*|slash\w*|cut\s+(?:\w+\s+){0,2}throats?|"
    r"rap(?:e|ed|es|ing)|sexually\s+assault\w*|attack(?:s|ed|ing)?|assault\w*|hunt\w*\s+(?:\w+\s+){0,2}down|"
    r"make\s+(?:\w+\s+){0,3}(?:suffer|bleed|pay|scream)|better\s+off\s+without|world\s+without|snap\w*\s+(?:\w+\s+){0,3}necks?|teach\s+(?:\w+\s+){0,2}a\s+lesson|deal\s+with|sort\s+(?:\w+\s+){0,2}out|take\s+(?:\w+\s+){0,2}out|"
    r"finish\s+(?:\w+\s+){0,2}off|do\s+(?:\w+\s+)?in|silence[d]?\s+(?:\w+\s+){0,2}(?:for\s+good|permanently)|string\s+(?:\w+\s+){0,2}up|"
    r"break\s+(?:\w+\s+){0,2}(?:legs?|neck|arms?|jaw|face|bones|skull)|bury\s+(?:\w+\s+){0,2}|curb\s+stomp\w*|stamp\s+on|stomp\s+on|kneecap\w*"
)
_WEAPON = (
    r"knife|knives|blade|machete|axe|hammer|bat|baseball\s+bat|crowbar|gun|guns|pistol|rifle|shotgun|firearm|bullets?|rounds|ammo|"
    r"crossbow|bolt|rope|noose|lamp\s*posts?|gallows|guillotine|petrol|gasoline|lighter|matches|acid|bleach|bomb|explosives?|"
    r"grenade|molotov|brick|bricks|brake\s+lines?|wire|chainsaw|shank|sword|poison"
)
_DEATH = (
    r"dead|death|die|dies|dying|died|grave|graves|coffin|body\s*bags?|funeral|corpse|six\s+feet\s+under|in\s+the\s+ground|"
    r"blood|bleed|bleeding|hospital|wheelchair|intensive\s+care|last\s+breath|stop\s+breathing|rest\s+in\s+pieces|rip"
)
# Murdered UK politicians and the places of their murders: named in a message to a candidate they
# are almost always either remembrance (a mitigation, see threats._COUNTER_RE) or a threat.
_POLITICAL_MURDER = r"jo\s+cox|amess|sir\s+david|airey\s+neave|ian\s+gow|batley|birstall|leigh\s*-?\s*on\s*-?\s*sea|belfairs"
# The person's life outside politics: where harm reaches them.
_SPHERE = (
    r"home|house|address|flat|street|road|door|front\s+door|windows?|letterbox|garden|driveway|"
    r"kids?|children|child|son|daughter|wife|husband|partner|family|mum|dad|mother|father|grandchildren|"
    r"school|nursery|school\s+gates?|school\s+run|office|surgery|staff|caseworkers?|team|volunteers|"
    r"car|van|bike|station|train|bus|commute|gym|church|mosque|temple|pub|routine|movements|schedule|dog|cat"
)
# Knowing the person's movements or whereabouts. Not "I know" or "I saw" alone: "I know your office
# is closed on Mondays" and "I saw your team at the fair" are how supporters write too.
_SURVEILLANCE = (
    r"(?:i|we)\s+(?:have\s+been|ve\s+been|been)\s+(?:watching|following)|"
    r"watching\s+you|following\s+you|followed\s+you|keeping\s+(?:an\s+)?eye|know\s+(?:where|when|what\s+time|which)|"
    r"every\s+(?:morning|evening|night|day|week|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"what\s+time\s+you|when\s+you\s+(?:leave|get\s+home|go|walk|drop)|(?:on\s+)?your\s+own|alone|same\s+time|same\s+route|same\s+way"
)
# Being where the person will be, said as a menace: waiting for them, coming for them, at their door.
_PRESENCE = (
    r"(?:be|are|am|will\s+be|ll\s+be|were|re)\s+(?:\w+\s+)?waiting|waiting\s+for\s+you|pay\s+(?:\w+\s+)?(?:a\s+)?visit|"
    r"come\s+(?:round|over|for)\s+(?:you|him|her|them)|coming\s+(?:for|after)|outside\s+(?:your|the)\s+(?:house|home|door|office|surgery)"
)
# Being where the person will be, in words every supporter uses too ("see you at the hustings"):
# implied harm only beside menace or surveillance.
_PRESENCE_PLAIN = (
    r"see\s+you\s+(?:at|there|soon|on|when|after|outside|tonight|tomorrow)|(?:be|see\s+you)\s+there|turn\s+up|show\s+up|visit\s+(?:you|him|her|them)|"
    r"at\s+(?:your|the)\s+(?:house|home|door|office|surgery|hustings|count|meeting|rally|event|street\s+stall|stall|canvass)|"
    r"at\s+(?:the\s+)?(?:hustings|count|surgery|street\s+stall|canvassing)"
)
_MENACE = (
    r"or\s+else|you\s*(?:ll|will|are\s+going\s+to|re\s+going\s+to)\s+(?:\w+\s+)?(?:regret|pay|learn|find\s+out)|you\s+(?:have\s+been|ve\s+been|were)\s+warned|"
    r"last\s+warning|final\s+warning|watch\s+(?:your|ur)\s+back|be\s+careful|careful\s+now|shame\s+if|pity\s+if|accidents?\s+happen|"
    r"would\s+be\s+a\s+shame|nothing\s+personal|not\s+a\s+threat|a\s+promise|days\s+are\s+numbered|wont\s+(?:be\s+)?(?:safe|protected)|not\s+(?:be\s+)?safe|"
    r"time\s+is\s+(?:up|running\s+out)|count\s*down|mark\s+my\s+words|youre\s+next|you\s+are\s+next|next\s+one|what\s+happened\s+to|"
    r"get\s+what\s+(?:you|is)\s+(?:deserve|coming)|what\s+is\s+coming|whats\s+coming|sleep\s+(?:well|tight)|lock\s+your\s+doors?|look\s+over\s+your\s+shoulder"
)
_SECOND = r"you|your|yourself|yours|youre|ye|yer|thee"
_PERSON = (
    r"person|persons|people|folk|man|men|woman|women|girl|girls|boy|boys|guy|guys|lady|ladies|bloke|blokes|kid|kids|child|children|"
    r"mp|mps|councillor|councillors|candidate|candidates|politician|politicians|minister|ministers|traitor|traitors|tory|tories|leftie|lefties|"
    r"activist|activists|voter|voters|member|members|scum|vermin|rats?|bitch|bitches|bastard|bastards|lot"
)
_THIRD = (
    rf"him|her|them|his|their|he|she|they|(?:a|an|the|that|this|those|these|every|each|any|all|some|more)\s+(?:\w+\s+){{0,2}}(?:{_PERSON})|(?:{_PERSON})|"
    r"(?:those|these|that|this|all|every|each|any|the\s+next|such|more)\s+(?:\w+\s+){0,2}(?:people|persons?|ones|lot|kind|kinds|folk|man|men|woman|women|\w+s)|"
    r"the\s+(?:mp|councillor|candidate|traitor|traitors|lot\s+of\s+them)"
)
_INTENT_FIRST = (
    r"i\s+(?:will|shall|am\s+going\s+to|am\s+gonna|want\s+to|wanna|intend\s+to|plan\s+to|mean\s+to|would\s+love\s+to|cant\s+wait\s+to|swear)|"
    r"ill|im\s+(?:going\s+to|gonna|coming|about\s+to|gunna)|imma|ima|we\s+(?:will|shall|are\s+going\s+to|are\s+gonna|want\s+to|need\s+to|must|should)|"
    r"well|were\s+(?:going\s+to|gonna|coming)|lets|let\s+us|going\s+to|gonna|about\s+to"
)
_INTENT_NORM = (
    r"should|shouldnt\s+be\s+(?:illegal|a\s+crime)|deserves?|deserved|ought\s+to|must|need\s+to|needs\s+to|has\s+to|have\s+to|"
    r"only\s+(?:solution|answer|way|option|cure)|best\s+(?:to|thing|solution|way)|would\s+be\s+(?:best|better|good|great|nice)|"
    r"(?:be|been|is|was)\s+(?:legal|legalised|legalized|decriminali[sz]ed|allowed|encouraged|rewarded|mandatory)|not\s+be\s+illegal|"
    r"(?:its|it\s+is)\s+(?:time|about\s+time)|(?:time|about\s+time)\s+(?:to|someone|we)|someone\s+(?:should|needs|will|must)|somebody\s+(?:should|needs|will|must)|"
    r"why\s+(?:hasnt|has\s+no\s*one|havent|dont\s+we|not)|death\s+to|at\s+my\s+hands|if\s+only|(?:someone|somebody)\s+would|would\s+(?:all\s+)?be\s+(?:dead|better)|in\s+a\s+just\s+world|"
    r"(?:worthy|fit)\s+of|for\s+(?:good|once\s+and\s+for\s+all)|once\s+and\s+for\s+all"
)
_INTENT_WISH = r"hope|hoping|wish|pray|praying|cant\s+wait|looking\s+forward|would\s+love|dream\s+of|how\s+about\s+(?:we|i)|why\s+dont\s+(?:we|i)|shall\s+(?:we|i)"
_IMMINENCE = (
    r"soon|tonight|tomorrow|today|this\s+(?:week|weekend|time|evening|morning)|next\s+(?:time|week|one)|one\s+day|sooner\s+or\s+later|"
    r"when\s+you\s+least\s+expect|before\s+(?:the\s+)?(?:election|count|polling|christmas|may|long)|not\s+long|any\s+day|counting\s+down"
)
_NEGATION = (
    r"(?:would|will|could|should)\s+never|wouldnt|wont\s+ever|never\s+(?:would|will|want)|(?:do|did|does)\s*(?:nt|not)\s+(?:want|wish|intend|think|mean)|"
    r"no\s+(?:one|body)\s+(?:should|wants|deserves)|not\s+going\s+to|(?:is|are|was)\s+(?:not\s+ok|wrong|unacceptable|never\s+ok)|must\s+not\s+(?:be|happen)|"
    r"against\s+(?:violence|killing)|dont\s+(?:kill|hurt|attack|harm)|stop\s+(?:the\s+)?(?:killing|violence|attacks?)|"
    r"no\s+(?:\w+\s+){0,2}(?:ought|should|deserves?|must|needs?)|(?:do|does|did)\s*(?:nt|not)\s+deserve|(?:must|should|ought)\s*(?:nt|not)|never\s+(?:be|deserve)"
)
# Harm verbs aimed at things rather than people ("kill the bill", "end this policy").
_OBJECT = (
    r"(?:kill|end|destroy|smash|bin|scrap|axe|bury|fight|attack|abolish|get\s+rid\s+of|wipe\s+out|eradicate|eliminate|put\s+an\s+end\s+to|stop)\s+"
    r"(?:the\s+|this\s+|that\s+|your\s+|their\s+|all\s+|our\s+)?(?:bill|policy|policies|plan|plans|tax|taxes|scheme|law|laws|cuts|poverty|pollution|"
    r"corruption|crime|hunger|homelessness|waste|debt|deficit|rules?|proposal|idea|motion|budget|campaign|lies|myth|cancer|disease|virus|climate|fast\s+food|litter|potholes?)"
)


# Weapons and deaths as a topic of debate, not an act: blanked before the lexicons run.
_TOPIC = (
    r"(?:gun|guns|knife|knives|weapons?|firearms?)\s+(?:control|laws?|crime|violence|rights|owners?|ownership|debate|policy|policies|ban|lobby|free|amnesty|safety|reform|deaths|homicides?)|"
    r"death\s+(?:penalty|toll|tolls|rate|rates|row|certificate|duty|star|metal)|blood\s+(?:tests?|pressure|donors?|sugar|bank|type)|"
    r"(?:assault|attack|attacks)\s+(?:on|against)\s+(?:democracy|free\s+speech|our\s+rights|the\s+constitution|women|workers)|kill\s+time|killer\s+(?:app|idea|line|feature)"
)


# Harm words as people misspell or run them together to dodge filters ("deaht", "strangel",
# "deathto"): a word whose letters are a harm word's letters in another order, or that starts or ends
# with a harm word of five letters or more. Looked for only when the lexicons found no harm.
_HARM_WORDS = (
    "kill", "killed", "killing", "murder", "murdered", "death", "dead", "execute", "executed", "execution", "torture", "tortured",
    "strangle", "strangled", "slaughter", "slaughtered", "shoot", "shot", "stab", "stabbed", "rape", "raped", "hang", "hanged",
    "lynch", "lynched", "behead", "beheaded", "drown", "drowned", "burn", "burned", "bomb", "massacre", "exterminate",
    "eradicate", "eliminate", "throat", "throats", "hurt", "attack", "knife", "bullet", "die",
)
_ANAGRAMS = {"".join(sorted(w)): w for w in _HARM_WORDS if len(w) >= 4}
_AFFIX_WORDS = tuple(w for w in _HARM_WORDS if len(w) >= 5)
_WORD_RE = re.compile(r"[a-z]{4,}")


def _fuzzy_harm(text: str) -> list[tuple[int, int, str]]:
    out = []
    for match in _WORD_RE.finditer(text):
        word = match.group(0)
        hit = _ANAGRAMS.get("".join(sorted(word)))
        if hit is None and len(word) >= 7:
            hit = next((w for w in _AFFIX_WORDS if len(word) > len(w) + 1 and (word.startswith(w) or word.endswith(w))), None)
        if hit is not None:
            out.append((match.start(), match.end(), word))
            if len(out) >= _SPANS_MAX:
                break
    return out


def _compile(pattern: str) -> re.Pattern[str]:
    # The rules' compiler puts a test of the first character in front, so a scan skips most
    # positions cheaply (about three times faster on tweets).
    return threats._fast_compile(rf"(?<![a-z])(?:{pattern})(?![a-z])")


_TOPIC_RE = threats._fast_compile(rf"(?<![a-z])(?:{_TOPIC})(?![a-z])")
_RE = {
    "harm_act": _compile(_HARM_ACT),
    "weapon": _compile(_WEAPON),
    "death": _compile(_DEATH),
    "political_murder": _compile(_POLITICAL_MURDER),
    "sphere": _compile(_SPHERE),
    "surveillance": _compile(_SURVEILLANCE),
    "presence": _compile(_PRESENCE),
    "presence_plain": _compile(_PRESENCE_PLAIN),
    "menace": _compile(_MENACE),
    "second": _compile(_SECOND),
    "third": _compile(_THIRD),
    "intent_first": _compile(_INTENT_FIRST),
    "intent_norm": _compile(_INTENT_NORM),
    "intent_wish": _compile(_INTENT_WISH),
    "imminence": _compile(_IMMINENCE),
    "negation": _compile(_NEGATION),
    "object": _compile(_OBJECT),
}

_WE_LL_RE = re.compile(r"\bwe\s*['\u2019`]\s*ll\b", re.IGNORECASE)
_HARM_ONLY = ("harm_act", "weapon", "death", "political_murder", "menace", "presence", "presence_plain", "surveillance", "negation")
_ANY_HARM_RE = _compile("|".join((_HARM_ACT, _WEAPON, _DEATH, _POLITICAL_MURDER, _MENACE, _PRESENCE, _SURVEILLANCE)))

#: Feature names, in the order of the weight vector. Every one is 0 or 1 except ``rule_score``.
FEATURES = (
    "harm", "target", "intent",
    "harm_x_target", "harm_x_intent", "harm_x_target_x_intent",
    "negation_x_harm", "object_only", "question", "mitigated_x_harm", "rule_score", "rule_threat",
)

REASONS = {
    "harm": "names serious harm (an act, a weapon, a death) or implies it (menace, surveillance of the person's life, waiting where they will be, a murdered MP)",
    "target": "aims at a person or group",
    "intent": "states an intention, a demand, a wish or a time",
    "harm_x_target": "harm aimed at a person or group",
    "harm_x_intent": "harm as an intention, a demand or a wish",
    "harm_x_target_x_intent": "harm, a target and an intention together",
    "rule_score": "threat rules' score",
    "rule_threat": "a threat rule fired",
}


@dataclass(frozen=True)
class Signals:
    """What the lexicons found in one message: the axis features and the words behind them."""

    values: tuple[float, ...]
    evidence: dict[str, str]  # axis -> the (normalised) words that set it, for the reasons


#: How close (in characters) harm must be to its target and to the intent for them to count as one
#: statement. A threat says all three in one breath ("I'll stab a woman tomorrow"); a long post that
#: mentions guns in one sentence and "you should" in another does not.
NEAR = 30
_SPANS_MAX = 8  # matches looked at per lexicon: bounds the time one long message can take


def _spans(name: str, text: str) -> list[tuple[int, int, str]]:
    out = []
    for match in _RE[name].finditer(text):
        out.append((match.start(), match.end(), match.group(0)))
        if len(out) >= _SPANS_MAX:
            break
    return out


def _near(a: list[tuple[int, int, str]], b: list[tuple[int, int, str]]) -> bool:
    return any(max(0, bs - ae, as_ - be) <= NEAR for as_, ae, _ in a for bs, be, _ in b)


def signals(text: str, assessment: threats.ThreatAssessment | None = None) -> Signals:
    """The feature vector of one message (``assessment`` is the rules' result, computed if absent)."""
    assessment = assessment if assessment is not None else threats.assess_threat(text)
    norm = _TOPIC_RE.sub(" _ ", assessment.prepared if assessment.prepared or not text.strip() else threats.prepare(text))
    # Most messages have no harm word at all: one scan of all the harm lexicons together settles that,
    # and then the seven scans that only matter for harm are skipped (same features, less time).
    if _ANY_HARM_RE.search(norm):
        found = {name: _spans(name, norm) for name in _RE}
    else:
        found = {name: ([] if name in _HARM_ONLY else _spans(name, norm)) for name in _RE}
    explicit = found["harm_act"] + found["weapon"] + found["death"]
    if not explicit:
        explicit = _fuzzy_harm(norm)
        if explicit and not found["negation"]:  # skipped by the fast path above
            found["negation"] = _spans("negation", norm)
    implied = list(found["political_murder"])
    if found["second"]:  # aimed at the recipient and their life, not at the world in general
        implied += found["menace"] + found["presence"]
        if found["menace"] or found["surveillance"]:
            implied += found["presence_plain"]
        if found["surveillance"] or found["menace"] or found["presence"]:
            implied += found["sphere"]
    harm_spans = explicit + implied
    target_spans = found["second"] + found["third"] + found["sphere"]
    # Normalising drops apostrophes, so "we'll" and the adverb "well" ("well done") meet: "well" is
    # first-person future only where the writer put the apostrophe in.
    intent_first = found["intent_first"]
    if any(w == "well" for _, _, w in intent_first) and not _WE_LL_RE.search(text):
        intent_first = [span for span in intent_first if span[2] != "well"]
    intent_spans = intent_first + found["intent_norm"] + found["intent_wish"] + found["imminence"]
    harm, target, intent = bool(harm_spans), bool(target_spans), bool(intent_spans)
    harm_target = harm and _near(harm_spans, target_spans)
    harm_intent = harm and _near(harm_spans, intent_spans)
    # "kill the bill": harm words whose only object is a thing, with no person in sight.
    object_only = bool(found["object"]) and not (found["second"] or found["sphere"])
    # Counter-speech and news (the rules' judgement), or every harm word inside quotation marks:
    # "saying 'I'll kill all X' is vile" reports a threat, it does not make one.
    quoted = [(m.start(), m.end()) for m in threats._QUOTED_RE.finditer(norm)] if ("'" in norm or '"' in norm) else []
    harm_quoted = bool(harm_spans) and bool(quoted) and all(any(qs <= hs and he <= qe + 1 for qs, qe in quoted) for hs, he, _ in harm_spans)
    mitigated = harm_quoted or any(m.startswith(("quotes or reports", "news", "the threatening words")) for m in assessment.mitigations)
    values = (
        float(harm), float(target), float(intent),
        float(harm_target), float(harm_intent), float(harm_target and harm_intent),
        float(harm and _near(harm_spans, found["negation"])), float(object_only), float(norm.rstrip().endswith("?")), float(harm and mitigated),
        float(assessment.score), float(assessment.is_threat),
    )
    evidence = {}
    if explicit:
        evidence["harm"] = explicit[0][2]
    elif implied:
        evidence["harm"] = " … ".join(dict.fromkeys(span for _, _, span in sorted(implied)[:2]))
    if target:
        evidence["target"] = target_spans[0][2]
    if intent:
        evidence["intent"] = intent_spans[0][2]
    return Signals(values, evidence)


# --------------------------------------------------------------------------------------------------
# The model


class ArtifactError(ValueError):
    """The threat model's artefact is missing or malformed."""


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(frozen=True)
class ThreatScore:
    probability: float  # calibrated P(threat), before product context
    is_threat: bool  # probability >= the model's threshold
    explanation: str  # why, in plain English (worth showing only when the message is flagged)

    @property
    def reasons(self) -> tuple[str, ...]:
        return (self.explanation,) if self.is_threat else ()


@dataclass(frozen=True)
class ThreatModel:
    version: str
    weights: tuple[float, ...]
    bias: float
    calibration: tuple[float, float]  # Platt: P = sigmoid(a * logit + b)
    threshold: float  # on the calibrated probability
    metadata: dict = field(default_factory=dict, compare=False)
    # Share of the training rows the rules flag that are threats: where a rule-flagged message ranks
    # (rule_precision × the rules' score) when the model alone would rank it lower. The rules fire
    # rarely on the training data, so the model learns little from them; this keeps a message the
    # rules are sure of near the top of the queue rather than at the threshold.
    rule_precision: float = 0.0

    def __post_init__(self) -> None:
        if len(self.weights) != len(FEATURES):
            raise ArtifactError(f"threat model {self.version}: {len(self.weights)} weights for {len(FEATURES)} features")

    def logit(self, values: Sequence[float]) -> float:
        return self.bias + sum(w * v for w, v in zip(self.weights, values))

    def probability(self, values: Sequence[float]) -> float:
        a, b = self.calibration
        return _sigmoid(a * self.logit(values) + b)

    def score(self, text: str, assessment: threats.ThreatAssessment | None = None) -> ThreatScore:
        sig = signals(text, assessment)
        p = self.probability(sig.values)
        parts = [f"{axis} '{words}'" for axis, words in sig.evidence.items()]
        top = sorted(((w * v, name) for w, v, name in zip(self.weights, sig.values, FEATURES) if w * v > 0), reverse=True)[:2]
        why = "; ".join(REASONS.get(name, name) for _, name in top) or "no threat signal"
        explanation = f"threat model {p:.2f}: {why}" + (f" ({', '.join(parts)})" if parts else "")
        return ThreatScore(round(p, 4), p >= self.threshold, explanation)

    def rule_floor(self, assessment: threats.ThreatAssessment) -> float:
        """The least probability a message the rules flag is given (0 when they do not flag it)."""
        return max(self.threshold, self.rule_precision * assessment.score) if assessment.is_threat else 0.0

    def to_json(self) -> dict:
        return {
            "version": self.version, "features": list(FEATURES), "weights": [round(w, 6) for w in self.weights], "bias": round(self.bias, 6),
            "calibration": [round(c, 6) for c in self.calibration], "threshold": round(self.threshold, 6),
            "rule_precision": round(self.rule_precision, 6), "metadata": self.metadata,
        }

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
        return path

    @classmethod
    def from_json(cls, data: dict) -> ThreatModel:
        try:
            if list(data["features"]) != list(FEATURES):
                raise ArtifactError(f"threat model {data.get('version')}: its features {data['features']} are not this code's {list(FEATURES)}; rebuild it")
            return cls(
                version=str(data["version"]), weights=tuple(float(w) for w in data["weights"]), bias=float(data["bias"]),
                calibration=(float(data["calibration"][0]), float(data["calibration"][1])), threshold=float(data["threshold"]),
                metadata=dict(data.get("metadata", {})), rule_precision=float(data.get("rule_precision", 0.0)),
            )
        except (KeyError, TypeError, IndexError) as exc:
            raise ArtifactError(f"threat model artefact malformed: {exc!r}") from exc

    @classmethod
    def load(cls, path: str | Path | None = None) -> ThreatModel:
        path = Path(path) if path is not None else DEFAULT_ARTIFACT
        if not path.is_file():
            raise ArtifactError(f"threat model not found at {path} (rebuild with `ballotguard train-threat-model`)")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ArtifactError(f"threat model at {path} is not JSON: {exc}") from exc
        return cls.from_json(data)


@functools.cache
def default_threat_model() -> ThreatModel | None:
    """The committed model, or None where it has not been built (the rules then work alone)."""
    try:
        return ThreatModel.load()
    except ArtifactError:
        return None
