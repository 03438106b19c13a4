"""Admission records (发展党员全程纪实): 志愿书 numbers, 公示 and the working-day calendar."""
