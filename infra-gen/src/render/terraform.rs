//! Terraform: one root module per stack.

use crate::construct::Stack;
use crate::output::FileSet;

pub fn render(_stack: &Stack, _files: &mut FileSet) {}
