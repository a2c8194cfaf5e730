//! Names of the accounts the agent manages: `<prefix><order id>`.
//!
//! The agent never builds a name from client input and never acts on a name it did not check:
//! a configured prefix, a name read back from the system and a name about to be passed to
//! `useradd`/`userdel` all go through [`Username::parse`]. Names that could be mistaken for an
//! option, a path, a system account or a different account are refused.

use std::fmt;

/// Longest Linux user name `useradd` accepts portably.
pub const MAX_USERNAME_LEN: usize = 32;
/// Longest prefix: room for a 20-digit order id within [`MAX_USERNAME_LEN`].
pub const MAX_PREFIX_LEN: usize = 12;

/// Accounts that exist on Debian/Ubuntu systems or matter to the host; never managed.
const RESERVED: [&str; 24] = [
    "root",
    "daemon",
    "bin",
    "sys",
    "sync",
    "games",
    "man",
    "lp",
    "mail",
    "news",
    "uucp",
    "proxy",
    "www-data",
    "backup",
    "list",
    "irc",
    "gnats",
    "nobody",
    "sshd",
    "systemd-network",
    "messagebus",
    "admin",
    "ubuntu",
    "debian",
];

/// Why a name was refused.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum UsernameError {
    #[error("user name is empty")]
    Empty,
    #[error("user name longer than {MAX_USERNAME_LEN} characters")]
    TooLong,
    #[error("user name {0:?} may only hold a-z, 0-9 and must start with a letter")]
    Characters(String),
    #[error("user name {0:?} is reserved")]
    Reserved(String),
    #[error("prefix {0:?} must be 1-{MAX_PREFIX_LEN} letters a-z")]
    Prefix(String),
    #[error("user name {name:?} is not {prefix:?} followed by an order id")]
    NotManaged { name: String, prefix: String },
}

/// A checked name of an account managed by the agent.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Username {
    name: String,
    order: u64,
}

/// Checks a configured prefix: lower-case letters only, so `<prefix><digits>` is unambiguous.
pub fn check_prefix(prefix: &str) -> Result<(), UsernameError> {
    if prefix.is_empty()
        || prefix.len() > MAX_PREFIX_LEN
        || !prefix.bytes().all(|b| b.is_ascii_lowercase())
        || RESERVED.contains(&prefix)
    {
        return Err(UsernameError::Prefix(prefix.to_string()));
    }
    Ok(())
}

impl Username {
    /// The account of standing order `order`.
    pub fn for_order(prefix: &str, order: u64) -> Result<Self, UsernameError> {
        check_prefix(prefix)?;
        Ok(Username {
            name: format!("{prefix}{order}"),
            order,
        })
    }

    /// Checks `name` as an account this agent manages under `prefix`.
    pub fn parse(prefix: &str, name: &str) -> Result<Self, UsernameError> {
        check_prefix(prefix)?;
        if name.is_empty() {
            return Err(UsernameError::Empty);
        }
        if name.len() > MAX_USERNAME_LEN {
            return Err(UsernameError::TooLong);
        }
        let starts_with_letter = name.as_bytes()[0].is_ascii_lowercase();
        if !starts_with_letter
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(UsernameError::Characters(name.to_string()));
        }
        if RESERVED.contains(&name) {
            return Err(UsernameError::Reserved(name.to_string()));
        }
        let not_managed = || UsernameError::NotManaged {
            name: name.to_string(),
            prefix: prefix.to_string(),
        };
        let digits = name.strip_prefix(prefix).ok_or_else(not_managed)?;
        // Canonical decimal only: "lpn007" would alias order 7.
        let order: u64 = digits.parse().map_err(|_| not_managed())?;
        if order.to_string() != digits {
            return Err(not_managed());
        }
        Ok(Username {
            name: name.to_string(),
            order,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The standing order the account serves.
    pub fn order(&self) -> u64 {
        self.order
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_names_round_trip() {
        let user = Username::for_order("lpn", 42).unwrap();
        assert_eq!(user.as_str(), "lpn42");
        assert_eq!(Username::parse("lpn", "lpn42"), Ok(user));
        assert_eq!(Username::parse("lpn", "lpn0").unwrap().order(), 0);
    }

    #[test]
    fn option_like_names_are_refused() {
        for name in ["-rf", "--help", "-o", "_lpn1"] {
            assert_eq!(
                Username::parse("lpn", name),
                Err(UsernameError::Characters(name.into()))
            );
        }
    }

    #[test]
    fn path_tricks_are_refused() {
        for name in ["../etc", "lpn1/../../root", "lpn1/", ".", "..", "lpn1\0"] {
            assert_eq!(
                Username::parse("lpn", name),
                Err(UsernameError::Characters(name.into()))
            );
        }
    }

    #[test]
    fn separators_and_control_characters_are_refused() {
        for name in [
            "lpn1:0:0",
            "lpn 1",
            "lpn1\n",
            "lpn1;id",
            "lpn1$(id)",
            "LPN1",
            "lpné1",
        ] {
            assert_eq!(
                Username::parse("lpn", name),
                Err(UsernameError::Characters(name.into()))
            );
        }
    }

    #[test]
    fn system_accounts_are_refused() {
        for name in ["root", "sshd", "nobody", "daemon"] {
            assert_eq!(
                Username::parse("root", name),
                Err(UsernameError::Prefix("root".into()))
            );
            assert_eq!(
                Username::parse("lpn", name),
                Err(UsernameError::Reserved(name.into()))
            );
        }
    }

    #[test]
    fn names_outside_the_prefix_or_not_canonical_are_refused() {
        for name in [
            "alice",
            "lpn",
            "lpnx",
            "lpn007",
            "lpn1x",
            "lpn99999999999999999999",
        ] {
            assert!(matches!(
                Username::parse("lpn", name),
                Err(UsernameError::NotManaged { .. })
            ));
        }
        assert_eq!(
            Username::parse("lpn", &"l".repeat(33)),
            Err(UsernameError::TooLong)
        );
        assert_eq!(Username::parse("lpn", ""), Err(UsernameError::Empty));
    }

    #[test]
    fn hostile_prefixes_are_refused() {
        for prefix in [
            "",
            "../",
            "-o",
            "LPN",
            "lpn1",
            "a b",
            "abcdefghijklm",
            "root",
        ] {
            assert_eq!(
                Username::for_order(prefix, 1),
                Err(UsernameError::Prefix(prefix.into()))
            );
        }
    }
}
