from crisisgov.kernel.permissions import Permission


class CitizenPermission(Permission):
    USE_SERVICES = "citizen.use_services"  # own status, appeals, reservations, applications
    OVERRIDE_STATUS = "citizen.override_status"  # propose or confirm a two-official override
    REVIEW_APPEALS = "citizen.review_appeals"  # decide citizens' status appeals
    PUBLISH_EXPOSURES = "citizen.publish_exposures"  # case trips, exposure venues, testing sites
    RUN_SERVICE_POINT = "citizen.run_service_point"  # pharmacy stock and pickups, site queues
    MANAGE_RATIONING = "citizen.manage_rationing"  # rationed items, quotas, lottery windows
    MANAGE_SERVICES = "citizen.manage_services"  # define online services and their workflows
    DECIDE_APPROVALS = "citizen.decide_approvals"  # decide one's department's approval steps
    PUBLISH_BULLETINS = "citizen.publish_bulletins"  # write and publish situation bulletins
