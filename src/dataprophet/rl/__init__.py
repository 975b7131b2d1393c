"""RL post-training with GRPO (the paper's Table 4): prompt sets (``rl_prompts``), GRPO runs
with TRL (``grpo``) and the table (``rl_table``)."""
