"""The intent names the product's logic branches on (the contract: ../shared/spec/topics.yml).

One place for them, so the NLU components, the core and the scripts cannot drift apart.
"""

CRISIS = "crisis"
MOMENT = "share_experience"
QUESTION = "faq"  # the retrieval intent; its topics are faq/<key>
FALLBACK = "nlu_fallback"
CHECKIN_DUE = "EXTERNAL_checkin_due"  # the scheduler triggers it; the web channel sends it
