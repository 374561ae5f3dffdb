from crisisgov.kernel.permissions import Permission


class OpinionPermission(Permission):
    VIEW_BOARD = "opinion.view_board"  # the situation board (message texts redacted)
    IMPORT_MESSAGES = "opinion.import_messages"  # CSV exports of social media, partner webhooks
    TAKE_CALLS = "opinion.take_calls"  # hotline operator: register tickets, dispatch, reassign
    HANDLE_TICKETS = "opinion.handle_tickets"  # the assigned department: read whole, answer, close
    CHECK_FACTS = "opinion.check_facts"  # the rumor queue; write and publish clarifications
    MANAGE_CATALOGUE = "opinion.manage_catalogue"  # dispatch catalogue, time limits, partners
    CURATE_TOPICS = "opinion.curate_topics"  # confirm, rename and merge the board's topics
