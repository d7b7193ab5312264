//! `cdk-app [OUTDIR]`: synthesises the example app's cloud assembly into OUTDIR (default
//! `cdk.out`) with the process's jsii kernel; prints `{"outdir", "visited"}`.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let outdir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "cdk.out".into()));
    let done = cdk_app::synth(&outdir);
    jsii::shutdown_global();
    let done = done?;
    println!(
        "{}",
        serde_json::json!({"outdir": done.outdir, "visited": done.visited})
    );
    Ok(())
}
