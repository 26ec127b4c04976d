"""QDesk Qt views: render view-state and emit intents; they know nothing of services or storage."""
