//! Just enough shell to find commands in init scripts: comments, quoting, command separators,
//! `case` arms, wrappers such as `start-stop-daemon` and `exec`.

/// One simple command: its words, quotes removed, redirections dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub words: Vec<String>,
}

impl Command {
    /// The program (first word).
    pub(crate) fn program(&self) -> &str {
        self.words.first().map(String::as_str).unwrap_or("")
    }

    /// The arguments (words after the program).
    pub(crate) fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or(&[])
    }
}

/// The last path component of a program.
pub(crate) fn basename(program: &str) -> &str {
    program.rsplit('/').next().unwrap_or(program)
}

/// Splits one line of shell into simple commands. Unknown syntax degrades to words.
pub(crate) fn commands(line: &str) -> Vec<Command> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    let mut skip_next_word = false;
    let flush_word =
        |word: &mut String, in_word: &mut bool, words: &mut Vec<String>, skip: &mut bool| {
            if *in_word {
                if *skip {
                    *skip = false;
                } else {
                    words.push(std::mem::take(word));
                }
                word.clear();
                *in_word = false;
            }
        };
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => break,
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                word.push(e);
                            }
                        }
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(e) = chars.next() {
                    word.push(e);
                }
            }
            ';' | '&' | '|' | '(' | ')' | '`' => {
                flush_word(&mut word, &mut in_word, &mut words, &mut skip_next_word);
                // `start)` in a case statement: the words before `)` are a pattern.
                if c == ')' {
                    words.clear();
                    continue;
                }
                if !words.is_empty() {
                    out.push(Command {
                        words: std::mem::take(&mut words),
                    });
                }
            }
            '>' | '<' => {
                // A redirection: drop the target word (and a preceding fd number).
                if !in_word || word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                } else {
                    flush_word(&mut word, &mut in_word, &mut words, &mut skip_next_word);
                }
                if chars.peek() == Some(&'&') {
                    chars.next();
                    // `2>&1`: the fd digit follows.
                    while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                        chars.next();
                    }
                    continue;
                }
                while chars.peek() == Some(&'>') {
                    chars.next();
                }
                skip_next_word = true;
            }
            c if c.is_whitespace() => {
                flush_word(&mut word, &mut in_word, &mut words, &mut skip_next_word);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush_word(&mut word, &mut in_word, &mut words, &mut skip_next_word);
    if !words.is_empty() {
        out.push(Command { words });
    }
    out.into_iter().filter_map(unwrap_command).collect()
}

/// Strips what runs a command without being it: variable assignments, `exec`, `nohup`,
/// `start-stop-daemon ... --exec PROG -- ARGS`, `procd_set_param command`, `service_start`.
fn unwrap_command(command: Command) -> Option<Command> {
    let mut words = command.words;
    loop {
        let first = words.first()?.clone();
        let name = basename(&first);
        if first.contains('=') && !first.starts_with('=') && !first.starts_with('-') {
            words.remove(0);
            continue;
        }
        match name {
            "exec" | "nohup" | "nice" | "setsid" | "env" | "service_start" | "command" => {
                words.remove(0);
            }
            "procd_set_param" => {
                if words.get(1).map(String::as_str) != Some("command") {
                    return None;
                }
                words.drain(..2);
            }
            "start-stop-daemon" | "$SSD" => {
                let exec = words
                    .iter()
                    .position(|w| w == "--exec" || w == "-x" || w == "--startas" || w == "-a")?;
                let program = words.get(exec.saturating_add(1))?.clone();
                let rest: Vec<String> = match words.iter().position(|w| w == "--") {
                    Some(dash) => words.get(dash.saturating_add(1)..).unwrap_or(&[]).to_vec(),
                    None => Vec::new(),
                };
                words = std::iter::once(program).chain(rest).collect();
                return Some(Command { words });
            }
            _ => return Some(Command { words }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        commands(line).into_iter().map(|c| c.words).collect()
    }

    #[test]
    fn splits_commands_and_drops_case_patterns_and_redirections() {
        assert_eq!(
            words("  start) /usr/sbin/in.telnetd -debug 23 -L /bin/sh & ;;"),
            vec![vec![
                "/usr/sbin/in.telnetd",
                "-debug",
                "23",
                "-L",
                "/bin/sh"
            ]]
        );
        assert_eq!(
            words("stop)  killall dropbear ;;"),
            vec![vec!["killall", "dropbear"]]
        );
        assert_eq!(
            words("mount -t proc proc /proc; exec /bin/sh # comment"),
            vec![
                vec!["mount", "-t", "proc", "proc", "/proc"],
                vec!["/bin/sh"]
            ]
        );
        assert_eq!(
            words("FOO=1 /usr/sbin/httpd -p 8080 > /dev/null 2>&1"),
            vec![vec!["/usr/sbin/httpd", "-p", "8080"]]
        );
        assert_eq!(
            words("wget -O /tmp/fw.bin \"http://a:b@c/x\" && mtd write /tmp/fw.bin firmware"),
            vec![
                vec!["wget", "-O", "/tmp/fw.bin", "http://a:b@c/x"],
                vec!["mtd", "write", "/tmp/fw.bin", "firmware"]
            ]
        );
    }

    #[test]
    fn unwraps_daemon_starters() {
        assert_eq!(
            words("start-stop-daemon -S -q -x /usr/sbin/dropbear -- -B -p 22"),
            vec![vec!["/usr/sbin/dropbear", "-B", "-p", "22"]]
        );
        assert_eq!(
            words("procd_set_param command /usr/sbin/dropbear -F -P /var/run/d.pid"),
            vec![vec!["/usr/sbin/dropbear", "-F", "-P", "/var/run/d.pid"]]
        );
        assert_eq!(words("procd_set_param respawn"), Vec::<Vec<String>>::new());
    }
}
