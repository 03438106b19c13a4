"""The admission record (发展党员全程纪实): the step catalogue, the recorded steps and the
gates they set on the lifecycle's transitions."""
