"""The daily routine: after the close score, plan and queue; at the open release; and its dry run over history."""
