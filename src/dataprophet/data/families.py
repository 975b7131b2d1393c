"""The paper's seven task families, shared by the mini suite and the paper registry."""

FAMILIES: tuple[str, ...] = ("ocr", "chart", "document", "general_vqa", "spatial", "counting", "map_math")
