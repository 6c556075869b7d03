"""The "YOUR CODE HERE" stub of a translated notebook, in its language."""

from nbgrader.preprocessors import ClearSolutions


class LocalizedClearSolutions(ClearSolutions):
    """nbgrader's ClearSolutions, with the stub a translated notebook brings.

    ``i18n.build`` writes the stub of the notebook's language (comment and
    message translated, code unchanged) into its metadata, under
    ``translation.code_stub``; the release keeps ``translation.language`` only.
    A notebook without it (the English one) gets ``ClearSolutions.code_stub``.
    """

    def preprocess(self, nb, resources):
        translation = nb.metadata.get("translation", {})
        stub = translation.pop("code_stub", None)
        if stub is None:
            return super().preprocess(nb, resources)
        language = nb.metadata.get("kernelspec", {}).get("language", "python")
        configured = self.code_stub
        self.code_stub = dict(configured, **{language: stub})
        try:
            return super().preprocess(nb, resources)
        finally:
            self.code_stub = configured
