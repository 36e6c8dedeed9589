"""Tests for the deterministic crisis safety net (components/safety_net.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.safety_net import CRISIS_PATTERNS, match_crisis

ROOT = Path(__file__).resolve().parents[1]
TRAIN_FILE = ROOT / "data" / "nlu" / "crisis.yml"
TEST_FILE = ROOT / "tests" / "nlu" / "crisis.yml"
HYPERBOLE_FILE = ROOT / "benchmarks" / "data" / "hyperbole.txt"


def _crisis_examples(path: Path) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples: list[str] = []
    for block in data["nlu"]:
        if block.get("intent") == "crisis":
            lines = block["examples"].splitlines()
            examples += [line.strip()[2:] for line in lines if line.strip().startswith("- ")]
    return examples


TRAIN = _crisis_examples(TRAIN_FILE)
HELD_OUT = _crisis_examples(TEST_FILE)

# Extra crisis wordings: typos, slang, no apostrophes, relationship context.
CRISIS_VARIANTS = [
    "I WANT TO KILL MY SELF",
    "i want to kil myslef",
    "kms",
    "unalive",
    "dont wanna live no more",
    "i dont want to exist",
    "feeling sucidal tonight",
    "i wish i wasnt alive",
    "he left and i dont want to live without him",
    "since we broke up i keep thinking about killing myself",
    "i pushed everyone away and now i want to end it all",
    "my bf slaps me when hes angry",
    "he said hed kill me if i ever left",
    "i swallowed a bunch of pills",
    "how much tylenol does it take to die",
    "i've been burning myself with a lighter",
    "i cut myself shaving but honestly i also cut myself on purpose",
    "this exam is killing me and i want to die",
    "i've been thinking it would be easier to just not be here",
    "i'm not going to be around much longer",
    "i have been collecting my sleeping pills",
    "i keep wishing a car would hit me",
    "i can't promise i'll be safe tonight",
    "my partner grabbed my neck and squeezed",
    "he's outside banging on the door and i'm scared",
    "my dad comes into my room at night and touches me",
    "a kid at school told me her dad beats her",
    "i drank a bottle of bleach",
    "i just want the pain to stop forever",
    "i want to fall asleep and never wake",
    "me quiero matar",
    "je veux mourir",
    # the pattern families added from the first blind round's misses (written for the test)
    "it would be easier for my sister if i just stopped existing",
    "soon i'll finally be at peace, i've made up my mind",
    "i hugged him at the station and i meant it as goodbye",
    "this is the last time i'll talk to anyone, thank you",
    "i worked out who gets my dog and moved my money into my brothers account",
    "i want to cut even more after what he said",
    "he saw the scars on my wrists and walked out",
    "i checked how high the bridge near work is, the side with no railing",
    "when she goes for good i'm not sticking around, i won't stick around after that",
    "i held the box of tablets and thought about how many it would take",
    "i keep planning my own funeral in my head",
    # the families added from the third blind round's misses (written for the test)
    "grandads heart pills are in the cupboard and tonight i want to take the whole lot",
    "i sat on the pier staring at the sea for an hour wondering about just slipping in",
    "my stepdad busted my lip on friday and my mum pretends she didnt see",
    "my boyfriend turns violent when he loses at cards and i hide in the bathroom",
    "if my sister asks later, tell her it was not her fault",
    "i left a note on the desk saying it was not because of them",
    "honestly everyone would cope fine with one less of me",
    "if a truck ran me over on the motorway tomorrow i would be relieved honestly",
    "the ferry hit bad turbulence, people screamed and i just thought good, let it",
    "my life insurance would be the only useful thing i ever left them",
    "my brother would come out ahead if i just was not around anymore",
    "my ex grabbed me by the neck in the hallway and said next time he wont stop",
    "i looked up which tablets to take and how many, i have them in my bag",
    "ive barely eaten since she left, i just want to fade away bit by bit",
    "on the motorway home i had this impulse to yank the wheel into the barrier",
    "if the scan results said i only had a few months i would honestly be relieved",
    "my wife died in the spring and all i want is to go where she is",
    "i told work i was moving abroad so nobody asks questions. i am not going anywhere",
    "found a new home for my dog today and i feel strangely calm and ready",
    "counted out all my painkillers on the bed and now im just sitting with them",
    # the fifth blind round's families, in other words than its messages
    "i told myself christmas is the deadline, honestly im not planning on being here after that",
    "i dont think ill still be around by the time the baby is born",
    "i dont see any point in carrying on once the house is sold",
    "my ex keeps saying if he cannot have me nobody else will",
    "she screamed that she would drive the car into the canal with the kids in it",
    "was sitting on the kitchen floor holding the blade for half an hour last night",
    "keep the tablets in my bag and think about walking somewhere remote with them",
    "been picking out the songs for my own funeral, it feels oddly calming",
    "my stepdad texted me a picture of our front door from across the street",
    "my little boy flinches whenever his dad raises his voice",
    "me being gone wouldnt make any difference to anyone honestly",
    "called my brother to thank him for everything, wanted to say goodbye properly before i go",
    "gave my camera to my cousin and my books to the neighbour, nice to get everything in order",
    # a spent round's miss (2026-12-07, third session): the pain named between "way" and "ends"
    "i have known for months that there is only one way all of this hurt ends",
    "theres only one way the misery is gonna end and i keep coming back to it",
    # the ninth blind round's families (2026-12-07, sixth session), in other words than its own
    "my girlfriend shook the baby because he would not stop crying",
    "he throws things at our toddler when he has had a drink",
    "our newborn was shaken by the childminder, the hospital called the police",
    "i wrote my sister a letter for her to read afterwards, it is in my drawer",
    "left notes for the kids to find after.",
    "i am scared he will shake the baby",
    "he threw a bottle at my baby",
    "my toddler was violently shaken",
    "he shook my 6 month old",
    "i wrote a letter to read after i die",
    "i wrote my mum a letter for when i'm not here",
    "there are letters in my desk to be opened after i am gone",
    "i have written notes to my kids, to be read after i'm gone",
    "my son twisted my arm until something cracked because i would not give him money",
    "my husband broke my nose last week and i told the nurse i fell",
    "he locked me in the cellar for the whole night",
    "my stepdad locks me up when mum is at work",
    "he is banging on the door so loud, i am scared and nobody is looking at me",
    "i am hiding in the bathroom so he cannot find me",
    "i am going to end it, sorry for ending the chat like this",
    "tenth floor, not the ground floor, and i am going to jump off my balcony tonight",
    "i can not stop flinching when he raises his hand",
    "i am hiding in the closet so no one can see me, he is looking for me",
    "my stepmum locks me in when she goes out",
    "my boyfriend grabbed my arm and twisted it until i screamed",
    "he twisted my wrist and i heard a crack",
    "he twisted my arm behind my back then kicked me out of the car",
    # The eighth session: the eleventh round's misses, said another way.
    "at the lights i kept thinking about pulling out in front of the lorry",
    "i have been reading up on which doses are lethal",
    "lately i do not care whether i am still here by christmas",
    "booked a cabin and checked how long it would take for anyone to find me there",
    "googled how much rope i would need",
    "she keeps saying she will end up killing herself and the baby",
    "my mum would have an easier life if i was gone",
    "the grandkids would get over losing me soon enough",
    "told him i was proud of him, wanted him to hear it once before i go",
    "i will drown myself in the canal",
    # A review's sentences: guards of the first version silenced these, or they were missed.
    "i'm at the top of the cliff jumping would be so easy",
    "used to love cliff diving, now i just want to jump off the bridge tonight",
    "how much rope i need, i feel content with my choice",
    "i lost my job and she dumped me, they'll all get over losing me soon enough",
    "how long before anyone would find my body, i feel lost in my own head",
    "he said he would kill himself and his kids",
    "how much rope do i need to hold my weight",
    "how long till anyone finds me",
    "want to step out infront of a bus",
    "what amount of sertraline is lethal",
    "life would be easier for everyone if i was gone",
    "i don't care if i'm still here in a year",
    "i wanted to hear you say you love me once before i go",
    "i want to drive into traffic",
]

# Hyperbole and ordinary relationship talk that must not trigger the net.
NOT_CRISIS = [
    line.strip() for line in HYPERBOLE_FILE.read_text(encoding="utf-8").splitlines() if line.strip()
] + [
    "i beat myself up every time i push her away",
    "she shook the baby rattle and he laughed",
    "i shook the baby bottle to mix the formula",
    "my mum shook the babys hand, so cute",
    "i left a note for my flatmate to read after work",
    "wrote a letter for after the wedding to my wife",
    "i finally shook off the baby blues",
    "i was so shaken after the baby was born",
    "my toddler was shaken up after the fall",
    "the toddler was shaken by the crash",
    "he shook the baby gate",
    "i shook my baby brother awake for school",
    "she shook my baby sister's hand",
    "i left notes for the team to read afterwards",
    "took notes for the exam to read after",
    "i hate myself for ghosting him",
    "my ex hurt me so badly that i don't trust anyone now",
    "when she touches me i want to pull away",
    "she hit me with the i love you after three dates",
    "i cut him off after he got too close",
    "i don't want to be a burden on anyone",
    "i don't want to be here at this dinner party",
    "i can't go on a date with him again",
    "i want to end it with her but i don't know how",
    "after our amazing weekend away i'm thinking about ending it",
    "help me not end things tonight",
    "we're in danger of breaking up",
    "i hope the baby doesn't wake up",
    "i'm going to die alone with my cats",
    "how much sertraline can i take",
    "can i get custody of my dog",
    "she threatened to break up with me if i don't open up",
    "i don't want to live my life afraid of intimacy",
    "i'm afraid to go home because she'll want to talk about us",
    "i'm so embarrassed i want to die lol",
    "her words cut deep",
    "he keeps hurting her feelings",
    "she threw a pillow at me when i said i needed space lol",
    "my mom hurts her back a lot",
    "i'm going to jump into the pool",
    "i broke into a cold sweat when he said i love you",
    "soon i'll be at peace, the exams are over next week",
    "this is the last time i'll write here, the app keeps crashing",
    "we sorted out who gets my old car in the divorce",
    "i cut my fringe and now i want to cut even more off",
    "he saw the scars on my arms from the bike accident",
    "how many ibuprofen would it take to help a headache",
    "if he lies to me again i'm not going to stick around",
    "my grandma is planning her own funeral playlist, she's very organised",
    "the quarterly review lasted three hours and i lost the will to live by slide forty",
    "i would rather stab myself with a spoon than go to another work quiz night",
    "the vet gave us tablets for the dog and he has to take all of them, one a day",
    "we sat staring at the lake thinking about going in for a swim, it was so calm",
    "my dog gets violent with the postman and i dont know how to train him",
    "the boxing coach broke my nose in sparring last year lol",
    "tell my teacher it was not my fault the projector broke",
    "my mum is going to kill me, i scratched her car on the gatepost",
    "if a bus hit me i would be late for the interview, which would be a shame lol",
    "we got a life insurance quote today, the most useful thing was comparing policies",
    "my sister asked about the wedding plans at lunch and i wanted to die on the spot",
    "we went bungee jumping off a bridge on our honeymoon, best day ever",
    "my flatmate read my diary and told everyone, she totally stabbed me in the back",
    "my grandad died in june and at christmas i want to be with his side of the family",
    "i lined up my vitamins in the weekly pill organiser so i stop forgetting them",
    "we rehomed the cat because of the landlord and honestly i feel calm about it now",
    "the doctor told me i had 6 weeks of physio left and i would be glad when its done",
    "what to take and how much for a migraine that wont go",
    "havent eaten since lunch, this meeting makes me want to disappear for the weekend",
    "not planning on being around for the office party, i will be at my sisters",
    "i dont think ill still be here in august, the lease ends and we move to leeds",
    "the driving instructor said i would crash into the wall if i kept braking late",
    "i sat with my knife for an hour prepping vegetables for the party",
    "my mum sent me a photo of my front door with the new paint, looks great",
    "gave my old bike to my nephew so i can get the garage sorted before winter",
    "i want to see my gran one last time before i go back to uni",
    "there is only one way this argument ends, with me saying sorry first as usual",
    "the gym contract would lock me in for a whole year",
    "being told i am needed and plans that lock me in both make me want to run",
    "my mate twisted my arm into going to karaoke",
    "i broke my wrist falling off my bike",
    "i no longer flinch when he raises his voice, therapy is working",
    "if this meeting runs over again i am going to end it. the meeting i mean",
    "this spreadsheet, i could jump off the roof. it is a one storey building though",
    "lol i jumped off the roof of our one storey shed as a kid",
    "my mum twisted my arm until i agreed to come to christmas dinner",
    "they locked me in to a two year contract",
    "she locked me in a hug and would not let go",
    "my brother broke my nose playing rugby",
    "i am hiding from my feelings again",
    "i am hiding in the bathroom so nobody can see me at my own birthday party",
    "one more comment about my roast and i will drown myself in the custard",
    "a nurse on nights, handing out pills till 6am",
    "how much rope do we need for the tent pegs",
    "she'll never get over losing me, i'm the best thing that happened to her",
    "I don't mind if I'm around, I can help you move house",
    "my wife has a happier life when i'm gone on business trips",
    "how long until they find me a bed on the ward",
    "planning to walk out into the sea for a swim",
    "how long does it take for someone to find you in hide and seek with this many rooms",
    "",
]


def test_example_counts() -> None:
    assert len(TRAIN) >= 250  # the first 100 are the ones the patterns were written for
    assert len(HELD_OUT) == 30


def test_long_input_is_fast() -> None:
    assert match_crisis("i " * 3000 + "x") is None


def test_pattern_ids_are_unique() -> None:
    ids = [pattern_id for pattern_id, _ in CRISIS_PATTERNS]
    assert len(ids) == len(set(ids))


def test_every_guard_id_is_unique_and_guards_a_pattern() -> None:
    # A second block with the same id would silently replace the first guard.
    from components.safety_net import _GUARD_TABLE, _parse_table

    guard_ids = [pattern_id for pattern_id, _ in _parse_table(_GUARD_TABLE)]
    assert len(guard_ids) == len(set(guard_ids))
    assert set(guard_ids) <= {pattern_id for pattern_id, _ in CRISIS_PATTERNS}


@pytest.mark.parametrize("text", TRAIN[:100] + HELD_OUT + CRISIS_VARIANTS)
def test_crisis_messages_match(text: str) -> None:
    assert match_crisis(text) is not None


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_hyperbole_and_ordinary_messages_do_not_match(text: str) -> None:
    assert match_crisis(text) is None


def _message(text: str) -> Any:
    message_cls = pytest.importorskip("rasa.shared.nlu.training_data.message").Message
    ranking = [
        {"name": "share_experience", "confidence": 0.81},
        {"name": "crisis", "confidence": 0.12},
        {"name": "faq", "confidence": 0.07},
    ]
    return message_cls(data={"text": text, "intent": dict(ranking[0]), "intent_ranking": ranking})


def _component() -> Any:
    pytest.importorskip("rasa")
    from components.safety_net import SafetyNet

    return SafetyNet(SafetyNet.get_default_config())


def test_process_forces_crisis_on_a_match() -> None:
    message = _message("she left and i don't see the point of living")
    _component().process([message])

    assert message.get("intent") == {"name": "crisis", "confidence": 1.0}
    ranking = message.get("intent_ranking")
    assert ranking[0] == {"name": "crisis", "confidence": 1.0}
    assert [entry["name"] for entry in ranking] == ["crisis", "share_experience", "faq"]
    assert message.get("safety_net") == {"matched": True, "pattern": "no_point"}
    output = message.as_dict(only_output_properties=True)
    assert output["safety_net"]["matched"] is True
    assert output["intent"]["name"] == "crisis"


def test_process_leaves_a_non_matching_message_untouched() -> None:
    message = _message("this exam is killing me")
    before = copy.deepcopy(message.data)
    outputs_before = set(message.output_properties)

    result = _component().process([message])

    assert result == [message]
    assert message.data == before
    assert message.output_properties == outputs_before
    assert message.get("safety_net") is None


def test_process_overrides_a_fallback_prediction() -> None:
    message = _message("kms fr")
    message.set("intent", {"name": "nlu_fallback", "confidence": 0.45})
    _component().process([message])
    assert message.get("intent")["name"] == "crisis"


@pytest.mark.parametrize("path", ["components.safety_net.SafetyNet",
                                  "components.safety_check.SafetyCheck",
                                  "components.mixed_message.MixedMessageResolver"])
def test_the_inference_only_components_create_and_pass_training_data(path: str) -> None:
    pytest.importorskip("rasa")
    import importlib

    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    module, name = path.rsplit(".", 1)
    component_class = getattr(importlib.import_module(module), name)
    component = component_class.create(
        component_class.get_default_config(),
        LocalModelStorage(Path("unused")),
        Resource(name),
        ExecutionContext(GraphSchema({}), "test"),
    )
    training_data = TrainingData()
    assert component.process_training_data(training_data) is training_data
