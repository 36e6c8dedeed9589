"""Input channels of the Rasa server that need more than credentials.yml can say."""
