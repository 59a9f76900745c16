"""nbgrader's ``OverwriteCells``, fixed so that a copied or deleted cell cannot stop grading.

nbgrader 0.9.6 fails when a student

- duplicated a cell of the assignment (JupyterLab's copy/paste keeps its metadata):
  ``DeduplicateIds`` empties the earlier copy's nbgrader metadata, and then
  ``CheckCellMetadata`` raises ``SchemaTooOldError``, which stops the autograde
  run for *every* student after this one; with ``add_missing_cells`` it is a
  ``KeyError: 'grade_id'`` in ``add_missing_task_cells`` (this student only);
- deleted a grade cell whose previous cell in the source is neither a grade nor
  an answer cell (e.g. a written answer under its read-only question), with
  ``add_missing_cells`` (the course's setting): ``KeyError: 'written_intro'``.

Here a cell with nbgrader metadata but no known ``grade_id`` becomes a plain
cell (what it is: the student's own), and a missing grade cell goes back after
the nearest cell that precedes it in the source.

It also fixes a false alarm (nbgrader #1961): the gradebook keeps the checksum of
a test cell *with* its hidden tests, so every untouched test cell with hidden
tests was reported as "changed". A locked cell exactly as released (hidden
tests cleared) is now restored silently; any other change still warns.

Use it in place of nbgrader's in ``Autograde.sanitize_preprocessors``
(nbgrader_config.py).
"""

from __future__ import annotations

import copy

from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors import OverwriteCells as _OverwriteCells

from utils.questions.registry import grade_id


class OverwriteCells(_OverwriteCells):

    def add_missing_grade_cells(self, nb, resources):
        """Put each missing grade cell back after the nearest cell that precedes it in
        the source and is still in the submission, whatever kind that cell is."""
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_cells = source_nb.source_cells
        order = [cell.name for cell in source_cells]
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        for grade_cell in source_nb.grade_cells:
            present = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(nb.cells)}
            if grade_cell.name in present:
                continue
            self.log.warning(f"Missing grade cell {grade_cell.name} encountered, adding to notebook")
            position = order.index(grade_cell.name)
            before = [present[name] for name in reversed(order[:position]) if name in present]
            cell = self.missing_cell_transform(source_cells[position], grade_cell.max_score,
                                               is_solution=grade_cell.name in solution_ids)
            nb.cells.insert(before[0] + 1 if before else 0, cell)
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        self._restore_if_as_released(cell)
        cell, resources = super().preprocess_cell(cell, resources, index)
        meta = cell.metadata.get("nbgrader")
        if meta is not None and "grade_id" not in meta:  # an emptied duplicate, or unknown here
            del cell.metadata["nbgrader"]
        return cell, resources

    def _restore_if_as_released(self, cell) -> None:
        cell_id = grade_id(cell)
        if cell_id is None:
            return
        try:
            source_cell = self.gradebook.find_source_cell(cell_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return
        if not source_cell.locked or source_cell.cell_type != cell.cell_type:
            return
        released = copy.deepcopy(cell)
        released.source = source_cell.source
        released, _ = ClearHiddenTests().preprocess_cell(released, {}, 0)
        if cell.source == released.source:
            cell.source = source_cell.source
