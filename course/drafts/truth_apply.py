"""Apply truth_cells.py's edits to the notebooks under a course/source dir."""
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell

ns = {}
exec(Path(__file__).with_name("truth_cells.py").read_text(), ns)
source = Path(sys.argv[1])
by_nb = {}
for edit in ns["EDITS"]:
    by_nb.setdefault(edit[0], []).append(edit)
for name, edits in by_nb.items():
    path = source / name / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for _, op, cell_id, anchor, kind, text in edits:
        ids = [c.get("id") for c in nb.cells]
        if op == "replace":
            nb.cells[ids.index(cell_id)].source = text
        else:
            if cell_id in ids:
                nb.cells[ids.index(cell_id)].source = text
                continue
            cell = (new_code_cell if kind == "code" else new_markdown_cell)(text, id=cell_id)
            nb.cells.insert(ids.index(anchor) + 1, cell)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    print("edited", path, len(edits))
