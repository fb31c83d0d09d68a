"""aipic: the Lambda handlers of the AI picture generator and the pieces they share."""
