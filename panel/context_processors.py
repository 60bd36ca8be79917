from accounts.selectors import membership_for_user


def membership(request) -> dict:
    return {"membership": membership_for_user(user=getattr(request, "user", None))}
