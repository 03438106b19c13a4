"""Messages of the problem codes of requests, sign-in, users, policies, webhooks:
code -> (zh-CN, en)."""

MESSAGES: dict[str, tuple[str, str]] = {
    "request.validation_failed": ("请求参数校验失败", "The request is invalid"),
    "request.malformed": ("请求格式错误", "The request body could not be parsed"),
    "request.text_invalid": (
        "文本含有无法保存的字符（NUL、制表符和换行符以外的控制字符或不成对的代理字符）",
        (
            "The text contains a character that cannot be stored (NUL, a control character "
            "other than tab and line breaks, or a lone surrogate)"
        ),
    ),
    "request.not_found": ("请求的路径不存在", "No such path"),
    "request.method_not_allowed": ("不支持该请求方法", "Method not allowed"),
    "request.method_override_invalid": (
        "X-HTTP-Method-Override 只能在 POST 请求中取值 PATCH",
        "X-HTTP-Method-Override may only name PATCH, on a POST",
    ),
    "internal.error": ("服务器内部错误", "Internal server error"),
    "service.database_unavailable": (
        "数据库暂时不可用，请稍后重试",
        "The database is unavailable for now: retry later",
    ),
    "ops.database_unreachable": ("数据库不可用", "The database is unreachable"),
    "auth.not_authenticated": ("未登录或令牌无效", "Missing or invalid credentials"),
    "auth.invalid_credentials": ("用户名或密码错误", "Wrong username or password"),
    "auth.locked": ("登录失败次数过多，请稍后再试", "Too many failed logins, try again later"),
    "auth.refresh_invalid": ("刷新令牌无效或已使用", "The refresh token is invalid or used"),
    "auth.forbidden": ("当前角色无权执行此操作", "Your role may not do this"),
    "user.not_found": ("用户不存在", "No such user"),
    "notification.not_found": ("通知不存在", "Notification not found"),
    "user.username_taken": ("用户名已被占用", "The username is taken"),
    "user.role_too_high": ("不能创建高于自身角色的用户", "You cannot grant a role above your own"),
    "user.member_required": (
        "党员角色的用户必须绑定党员记录",
        "A member user needs a member record",
    ),
    "user.member_not_in_org": (
        "绑定的党员不属于该组织",
        "The member record does not belong to that organisation",
    ),
    "policy.unknown_key": ("未知的政策参数", "Unknown policy key"),
    "policy.value_invalid": ("政策参数取值无效", "Invalid policy value"),
    "policy.set_concurrently": (
        "该组织的政策参数已被同时设置，请刷新后重试",
        "The organisation's policy was set at the same time: reload and retry",
    ),
    "wechat.not_configured": ("未配置微信小程序", "WeChat mini-program login is not configured"),
    "wechat.code_invalid": ("微信登录凭证无效或已使用", "The WeChat login code is invalid or used"),
    "wechat.unavailable": ("微信服务暂时不可用", "The WeChat service is unavailable"),
    "wechat.not_bound": (
        "该微信尚未绑定账号：请先用账号密码登录后绑定，或使用管理员发放的绑定码",
        (
            "This WeChat is bound to no account: sign in with a password and bind, or use a "
            "binding code from an administrator"
        ),
    ),
    "wechat.already_bound": (
        "该微信或该账号已绑定",
        "This WeChat or this account is already bound",
    ),
    "wechat.binding_code_invalid": (
        "绑定码无效、已过期或已使用",
        "The binding code is invalid, expired or used",
    ),
    "wechat.no_binding": ("该账号未绑定微信", "This account has no WeChat bound"),
    "webhook.not_found": ("推送订阅不存在", "No such webhook"),
    "webhook.event_type_unknown": ("未知的事件类型", "Unknown event type"),
    "webhook.url_invalid": ("推送地址须为 http(s) URL", "The URL must be http(s)"),
    "webhook.target_forbidden": (
        "推送地址须为公网地址（内网接收方请加入 DANGJIAN_WEBHOOK_ALLOWED_TARGETS）",
        (
            "The URL must point to a public address (add intranet receivers to "
            "DANGJIAN_WEBHOOK_ALLOWED_TARGETS)"
        ),
    ),
    "precondition.failed": (
        "数据已被他人修改，请刷新后重试",
        "The resource changed (If-Match failed)",
    ),
    "precondition.if_match_invalid": ("If-Match 格式不正确", "The If-Match header is malformed"),
    "idempotency.key_reused": (
        "幂等键已用于不同的请求",
        "The Idempotency-Key was already used with a different request",
    ),
    "idempotency.in_progress": (
        "相同幂等键的请求正在处理",
        "A request with this Idempotency-Key is in progress",
    ),
    "idempotency.key_invalid": (
        "幂等键长度应为1至255个字符",
        "The Idempotency-Key must be 1 to 255 characters",
    ),
    "pagination.cursor_invalid": ("分页游标无效", "The pagination cursor is invalid"),
    "pagination.sort_invalid": ("排序字段无效", "Unknown sort field"),
    "calendar_day.not_found": ("日历中没有该日期的安排", "The calendar has no entry for that day"),
    "conflict.concurrent_update": ("数据已被并发修改，请重试", "Concurrent update, please retry"),
    "conflict.integrity": (
        "数据与已有记录冲突，未能保存",
        "The change conflicts with existing data and was not saved",
    ),
    "conflict.still_referenced": (
        "该记录仍被其他记录引用",
        "Other records still refer to this one",
    ),
}
