"""Pure maths over source-by-target matrices: Kendall's tau and the baseline predictors."""
