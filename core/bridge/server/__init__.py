"""The bridge server: FastAPI app, stream connections, the front-door guard and the runner."""
