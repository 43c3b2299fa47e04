"""qabook's templates, stylesheets, fonts and Anki card templates (installed as qabook.templates)."""
