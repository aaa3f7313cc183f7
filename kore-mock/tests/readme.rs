//! The README's shell example is `examples/admin.sh` (which CI runs), verbatim.

#[test]
fn the_readme_shell_example_is_examples_admin_sh() {
    let readme = include_str!("../README.md");
    let script = include_str!("../examples/admin.sh");
    let (_, after_begin) = readme
        .split_once("<!-- begin examples/admin.sh -->\n```sh\n")
        .expect("README has the `begin examples/admin.sh` marker and a sh block after it");
    let (block, _) = after_begin
        .split_once("```\n<!-- end examples/admin.sh -->")
        .expect("README closes the block before the `end examples/admin.sh` marker");
    assert_eq!(
        block, script,
        "README.md's shell example drifted from examples/admin.sh: copy the script into the README"
    );
}
