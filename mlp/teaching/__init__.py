"""What the app teaches with, beside the chapter: the student's notebook replayed mistake by mistake, one step of
backpropagation in slow motion, a run's failure said in plain words, and a trained network looked into."""
