//! `rebuild`: change one file as a code edit would, rebuild, and see which steps the cache served.

use crate::common::{check, grade, Fixture};

/// Dependencies first, code last: a code change rebuilds only the code step.
const GOOD_ORDER: &str = "WORKDIR /app
COPY deps.txt /app/
RUN cp deps.txt installed.txt
COPY app.sh /app/
CMD [\"sh\", \"/app/app.sh\"]
";

/// Everything copied before the dependency step: a code change rebuilds it too.
const BAD_ORDER: &str = "WORKDIR /app
COPY . /app/
RUN cp deps.txt installed.txt
CMD [\"sh\", \"/app/app.sh\"]
";

fn fixture(dockerfile: &str) -> Fixture {
    let fx = Fixture::new();
    fx.dockerfile(dockerfile);
    fx.write("deps.txt", "left-pad==1.3.0\n");
    fx.write("app.sh", "echo app v1\n");
    fx
}

const CACHED: &str = "touch = \"app.sh\"\ncached = [\"RUN cp deps.txt\"]";

#[tokio::test]
async fn rebuild_with_dependencies_first_hits_the_cache() {
    let fx = fixture(GOOD_ORDER);
    let checks = [
        check("build", "build", ""),
        check(
            "cache",
            "rebuild",
            &format!("{CACHED}\nrebuilt = [\"COPY app.sh\"]"),
        ),
        check(
            "stale",
            "rebuild",
            "touch = \"app.sh\"\nrebuilt = [\"RUN cp deps.txt\"]",
        ),
        check(
            "no-such-step",
            "rebuild",
            "touch = \"app.sh\"\ncached = [\"RUN npm ci\"]",
        ),
    ]
    .concat();
    let g = grade("90-rebuild-good", "build", &checks, fx.path()).await;
    let r = g.passed("cache");
    assert!(
        r.actual.contains("cached  RUN cp deps.txt installed.txt")
            && r.actual.contains("REBUILT COPY app.sh /app/"),
        "{}",
        r.actual
    );
    g.failed(
        "stale",
        &["`RUN cp deps.txt installed.txt` came from the cache although app.sh changed"],
    );
    g.failed(
        "no-such-step",
        &["no step contains `RUN npm ci`", "by its text"],
    );
}

#[tokio::test]
async fn rebuild_with_code_copied_first_names_the_step_that_was_rebuilt() {
    let fx = fixture(BAD_ORDER);
    let checks = [
        check("build", "build", ""),
        check("cache", "rebuild", CACHED),
    ]
    .concat();
    let g = grade("90-rebuild-bad", "build", &checks, fx.path()).await;
    g.failed(
        "cache",
        &[
            "after a change to app.sh",
            "`RUN cp deps.txt installed.txt` was rebuilt after a code-only change",
            "`COPY . /app/` comes earlier and changed",
        ],
    );
}

/// A change to a file the build never copies: every step comes from the cache, so the rebuild is
/// the very same image under a second tag. Both tags must go when the run ends (`grade` asserts
/// nothing of the session is left).
#[tokio::test]
async fn a_fully_cached_rebuild_leaves_nothing_behind() {
    let fx = fixture("COPY deps.txt /app/\nCMD [\"true\"]\n");
    let checks = [
        check("build", "build", ""),
        check(
            "cache",
            "rebuild",
            "touch = \"app.sh\"\ncached = [\"COPY deps.txt\"]",
        ),
    ]
    .concat();
    let g = grade("90-rebuild-cached", "build", &checks, fx.path()).await;
    g.passed("cache");
}
