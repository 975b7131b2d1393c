"""The synthetic pool (the paper's Table 3, right half): question-answer pairs written by two
generator models about the sources' train images, validated, then selected per sample.

* ``pairs``: the prompt (written to the paper's constraints), reply validation, token estimate;
* ``procedural``: the mini study's two rule-based generators;
* ``client``: generators behind an OpenAI-compatible chat API, with an on-disk reply cache;
* ``synthesize``: the stage that writes one dataset's pool.
"""
