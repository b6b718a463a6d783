"""Slack identifiers in one place: action ids, callback ids, block ids."""

# Q&A
ACTION_FEEDBACK_UP = "answer_feedback_up"
ACTION_FEEDBACK_DOWN = "answer_feedback_down"
ACTION_HOME_ASK = "home_ask"
VIEW_ASK = "ask_modal"

# Use-case portfolio
ACTION_USECASE_VOTE = "usecase_vote"
ACTION_USECASE_UNVOTE = "usecase_unvote"
ACTION_USECASE_SHOW = "usecase_show"
ACTION_HOME_REGISTER = "home_register_usecase"
VIEW_USECASE_REGISTER = "usecase_register_modal"
VIEW_USECASE_EDIT = "usecase_edit_modal"
ACTION_USECASE_CONFIRM_REGISTER = "usecase_confirm_register"
ACTION_USECASE_CANCEL_REGISTER = "usecase_cancel_register"

# Digest (admin actions on digest items)
ACTION_DIGEST_DROP = "digest_drop"
ACTION_DIGEST_PHASE = "digest_phase"
ACTION_DIGEST_SNOOZE = "digest_snooze"

# Knowledge notes: the message shortcut "Add to Spinebot knowledge" (spine admins)
SHORTCUT_KNOWLEDGE_NOTE = "add_to_knowledge"
