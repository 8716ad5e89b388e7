"""A tiny app: the file you edit most often."""
print("hello from the images lab")
