"""The grid of scenarios of issue 14: one dimension of a real operation varied at a time
around a base incident, a few combinations, and incidents without any army.

``GRID`` maps a name to a :class:`~bench.scenarios.generator.Scenario`; every one holds
the negatives (an organic crowd, a fan club, news cascades) beside its armies.
``SMALL`` is a handful of them at a size the test suite can afford.
"""

from __future__ import annotations

from bench.scenarios.generator import Army, Scenario

__all__ = ["BASE", "GRID", "SMALL", "FOUR"]

BASE = Scenario(name="base")
FOUR = ("weibo", "douyin", "bili", "xhs")


def _army(**kw) -> tuple[Army, ...]:
    return (Army(**kw),)


def _big(name: str, army: Army, **kw) -> Scenario:
    """A larger incident (an army of thousands needs a crowd to hide in)."""
    return BASE.but(name=name, organic=30_000, posts=6_000, reposts=150_000, armies=(army,), **kw)


GRID: dict[str, Scenario] = {
    "base": BASE,
    # army size
    "size-20": BASE.but(name="size-20", armies=_army(size=20)),
    "size-60": BASE.but(name="size-60", armies=_army(size=60)),
    "size-600": _big("size-600", Army(size=600)),
    "size-2000": _big("size-2000", Army(size=2_000)),
    "size-2000-10s-obscure": _big(
        "size-2000-10s-obscure", Army(size=2_000, spread=10.0, targets="obscure")
    ),
    # wave spread
    "spread-10s": BASE.but(name="spread-10s", armies=_army(spread=10.0)),
    "spread-10min": BASE.but(name="spread-10min", armies=_army(spread=600.0)),
    "spread-30min": BASE.but(name="spread-30min", armies=_army(spread=1_800.0)),
    # share of the army in each wave
    "share-10-20": BASE.but(name="share-10-20", armies=_army(share=(0.1, 0.2))),
    "share-20-35": BASE.but(name="share-20-35", armies=_army(share=(0.2, 0.35))),
    "share-60-90": BASE.but(name="share-60-90", armies=_army(share=(0.6, 0.9))),
    # targets: viral (drowned in a crowd) or obscure (alone), or both
    "obscure": BASE.but(name="obscure", armies=_army(targets="obscure")),
    "mixed-targets": BASE.but(name="mixed-targets", armies=_army(targets="mixed")),
    "drowned": BASE.but(
        name="drowned", armies=_army(spread=300.0), viral_crowd=(2_000, 5_000), viral_median=900.0
    ),
    "quick-lag": BASE.but(name="quick-lag", armies=_army(lag=(60.0, 300.0))),
    # platforms and MCNs
    "four-platforms": BASE.but(
        name="four-platforms", platforms=FOUR, armies=_army(size=180, platforms=FOUR)
    ),
    "split-mcns": BASE.but(name="split-mcns", armies=_army(mcns=(0.4, 0.3, 0.3))),
    # more than reposts
    "copies-comments": BASE.but(
        name="copies-comments", armies=_army(waves=8, copies=6, comments=6)
    ),
    "few-culprits": BASE.but(name="few-culprits", armies=_army(culprits=2)),
    "scripted-order": BASE.but(name="scripted-order", armies=_army(order="fixed", spread=30.0)),
    # slow drip: a wave over hours, on obscure or on viral targets
    "slow-drip-obscure": BASE.but(
        name="slow-drip-obscure", armies=_army(spread=3 * 3_600.0, targets="obscure")
    ),
    "slow-drip-viral": BASE.but(name="slow-drip-viral", armies=_army(spread=3 * 3_600.0)),
    # two operations on one platform: two clusters, never one
    "two-armies": BASE.but(
        name="two-armies", armies=(Army(size=120), Army(size=90, targets="obscure", spread=30.0))
    ),
    # the shape of the independent incident of issue 14
    "issue-incident": BASE.but(
        name="issue-incident",
        platforms=FOUR,
        armies=_army(size=180, platforms=FOUR, copies=3, comments=3, targets="mixed"),
    ),
    # organic accounts sharing the army's creation burst, and an agency of organic creators
    "signup-rush": BASE.but(name="signup-rush", signup=300, agency=300),
    # no army: fan clubs and news cascades alone must give no cluster
    "no-army": BASE.but(name="no-army", armies=(), fan_clubs=3, news_outlets=6),
    "news-superfans": BASE.but(
        name="news-superfans", armies=(), news_followers=600, news_rate=0.35, news_outlets=4
    ),
    "no-army-big-fandom": BASE.but(
        name="no-army-big-fandom",
        armies=(),
        fan_clubs=2,
        fans=(400, 800),
        idol_posts=30,
        fan_lag=45.0,
    ),
    "no-army-signup-rush": BASE.but(name="no-army-signup-rush", armies=(), signup=300, agency=300),
}

_TINY = dict(organic=2_000, posts=500, reposts=8_000, fans=(60, 120), news_followers=250)

SMALL: dict[str, Scenario] = {
    "base": BASE.but(name="t-base", armies=_army(size=60), **_TINY),
    "obscure": BASE.but(name="t-obscure", armies=_army(size=40, targets="obscure"), **_TINY),
    "four-platforms": BASE.but(
        name="t-four", platforms=FOUR[:2], armies=_army(size=60, platforms=FOUR[:2]), **_TINY
    ),
    "copies-comments": BASE.but(
        name="t-copies", armies=_army(size=40, waves=8, copies=5, comments=5), **_TINY
    ),
    "no-army": BASE.but(name="t-none", armies=(), fan_clubs=2, **_TINY),
}
