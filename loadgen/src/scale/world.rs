//! The world file `loadgen seed` writes and `loadgen scale` reads: who is
//! online (one socket each) and the conversations with at least two of them
//! online, with each conversation's last seq at export time.
//!
//! ```text
//! s <workspace> <token> <member_id>
//! c <workspace> <channel_id> <general 0|1> <last_seq> <socket>,<socket>,…
//! ```
//!
//! Sockets are numbered in file order (their global number picks their node:
//! `number % nodes`). A load-generator process takes whole workspaces
//! (`workspace % parts == part`), so every recipient of a message it posts is
//! one of its own sockets and it can count deliveries lost and duplicated
//! without talking to the other processes.

use std::collections::HashMap;

use anyhow::{bail, Context, Result};

pub struct Sock {
    /// Position in the whole world (picks the node).
    pub global: usize,
    pub token: String,
    pub workspace: usize,
    pub member: String,
}

pub struct Conv {
    pub id: String,
    pub general: bool,
    pub last_seq: i64,
    /// Indexes into [`World::socks`].
    pub members: Vec<usize>,
}

pub struct World {
    pub socks: Vec<Sock>,
    pub convs: Vec<Conv>,
    pub workspaces: usize,
}

impl World {
    /// This process's share of the world file's text.
    pub fn parse(text: &str, part: usize, parts: usize) -> Result<World> {
        let mut socks = Vec::new();
        let mut local: HashMap<usize, usize> = HashMap::new();
        let mut convs = Vec::new();
        let mut workspaces = std::collections::HashSet::new();
        let mut global = 0usize;
        for (n, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split(' ').collect();
            let ws: usize =
                f.get(1).and_then(|w| w.parse().ok()).with_context(|| format!("line {}", n + 1))?;
            let mine = ws % parts == part;
            match (f[0], f.len()) {
                ("s", 4) => {
                    if mine {
                        local.insert(global, socks.len());
                        socks.push(Sock {
                            global,
                            token: f[2].to_string(),
                            workspace: ws,
                            member: f[3].to_string(),
                        });
                        workspaces.insert(ws);
                    }
                    global += 1;
                }
                ("c", 6) if mine => {
                    let members = f[5]
                        .split(',')
                        .map(|g| {
                            let g: usize = g.parse()?;
                            local
                                .get(&g)
                                .copied()
                                .with_context(|| format!("socket {g} is not in workspace {ws}"))
                        })
                        .collect::<Result<Vec<_>>>()
                        .with_context(|| format!("line {}", n + 1))?;
                    convs.push(Conv {
                        id: f[2].to_string(),
                        general: f[3] == "1",
                        last_seq: f[4].parse().with_context(|| format!("line {}", n + 1))?,
                        members,
                    });
                }
                ("c", 6) => {}
                _ => bail!("line {}: not a world line: {line}", n + 1),
            }
        }
        Ok(World { socks, convs, workspaces: workspaces.len() })
    }

    /// For each socket, the conversations it is in (indexes into `convs`).
    pub fn memberships(&self) -> Vec<Vec<usize>> {
        let mut of = vec![Vec::new(); self.socks.len()];
        for (c, conv) in self.convs.iter().enumerate() {
            for &s in &conv.members {
                of[s].push(c);
            }
        }
        of
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "s 1 tA mA\ns 2 tB mB\ns 1 tC mC\ns 2 tD mD\nc 1 ch1 1 7 0,2\nc 2 ch2 0 0 1,3\n";

    #[test]
    fn a_part_holds_whole_workspaces_with_global_numbers() {
        let w = World::parse(TEXT, 0, 2).unwrap();
        assert_eq!(
            w.socks.iter().map(|s| (s.global, s.token.as_str())).collect::<Vec<_>>(),
            [(1, "tB"), (3, "tD")]
        );
        assert_eq!(w.convs.len(), 1);
        assert_eq!(
            (w.convs[0].id.as_str(), w.convs[0].general, w.convs[0].members.clone()),
            ("ch2", false, vec![0, 1])
        );
        let w = World::parse(TEXT, 1, 2).unwrap();
        assert_eq!(
            (w.convs[0].last_seq, w.convs[0].general, w.memberships()),
            (7, true, vec![vec![0], vec![0]])
        );
        assert!(
            World::parse("c 1 ch 0 0 9\n", 0, 1).is_err(),
            "a member that is not a socket of the workspace"
        );
        assert!(World::parse("x 1\n", 0, 1).is_err());
    }
}
