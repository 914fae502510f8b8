//! Validation errors that name the offending field by its path (`spec.steps[2].fault.duration`) and say
//! what the limit is.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// One thing wrong with one field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's path from the object's root, e.g. `spec.steps[2].fault.duration`.
    pub path: String,
    /// What is wrong, and the limit where there is one, e.g. `"2h" is more than the run's maxDuration
    /// (30m)`.
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Everything wrong with a definition (never empty).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Invalid {
    pub errors: Vec<FieldError>,
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            fmt::Display::fmt(error, f)?;
        }
        Ok(())
    }
}

/// Collects errors while walking a definition; `at` builds child paths.
#[derive(Debug, Default)]
pub struct Errors {
    errors: Vec<FieldError>,
}

impl Errors {
    /// Records that the field at `path` is wrong.
    pub fn add(&mut self, path: &Path, message: impl Into<String>) {
        self.errors.push(FieldError { path: path.to_string(), message: message.into() });
    }

    /// Records `result`'s error at `path`; passes its value on.
    pub fn check<T>(&mut self, path: &Path, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(path, message);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when nothing was recorded.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, Invalid> {
        match value {
            Some(value) if self.errors.is_empty() => Ok(value),
            _ if self.errors.is_empty() => Err(Invalid {
                errors: alloc::vec![FieldError { path: "spec".into(), message: "is not valid".into() }],
            }),
            _ => Err(Invalid { errors: self.errors }),
        }
    }
}

/// A field path under construction, e.g. `spec.steps[2]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path(String);

impl Path {
    /// The root, e.g. `spec`.
    pub fn root(name: &str) -> Self {
        Self(name.into())
    }

    /// A child field: `spec` → `spec.steps`.
    pub fn field(&self, name: &str) -> Self {
        let mut path = self.0.clone();
        path.push('.');
        path.push_str(name);
        Self(path)
    }

    /// An element of a list: `spec.steps` → `spec.steps[2]`.
    pub fn index(&self, i: usize) -> Self {
        let mut path = self.0.clone();
        path.push('[');
        path.push_str(&i.to_string());
        path.push(']');
        Self(path)
    }

    /// A key of a map: `...matchLabels` → `...matchLabels[app]`.
    pub fn key(&self, key: &str) -> Self {
        let mut path = self.0.clone();
        path.push('[');
        path.push_str(key);
        path.push(']');
        Self(path)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
