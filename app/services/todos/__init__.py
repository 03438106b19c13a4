"""To-dos (待办): what the rules of the other services ask of a principal now, computed
on read from those rules (never stored), with a link, a due date and a severity."""

from app.services.todos.listing import TODO_SORT, todo_counts, todos
from app.services.todos.sources import Todo

__all__ = ["TODO_SORT", "Todo", "todo_counts", "todos"]
