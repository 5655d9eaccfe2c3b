//! Helm's formats, without IO: Chart.yaml metadata and `.helmignore` rules.

pub mod chart;
pub mod ignore;
