//! Pure: broker refusals that retrying cannot fix (wrong credentials, a missing vhost, no
//! permission on the topology, queues declared before with other arguments), turned into a
//! message that names the fix. Before a process has ever connected these are fatal; the
//! process exits non-zero instead of retrying forever.

/// The AMQP reply codes that mean "fix the configuration" (AMQP 0-9-1 §1.9 constants).
const ACCESS_REFUSED: u16 = 403;
const NOT_ALLOWED: u16 = 530;
const PRECONDITION_FAILED: u16 = 406;

/// What to do about a broker refusal with reply `code` and `text`, when retrying cannot help.
pub fn fix_for(code: u16, text: &str) -> Option<String> {
    let what = match code {
        ACCESS_REFUSED if text.contains("Login was refused") || text.contains("authentication") || text.contains("ACCESS_REFUSED - Login") => {
            "the broker refused the user name or password in amqp.url (AMQP_URL); fix: set AMQP_URL=amqp://USER:PASSWORD@HOST:5672/VHOST with a user the broker knows (rabbitmqctl list_users; deploy/rabbitmq/users.json.example)"
        }
        ACCESS_REFUSED => {
            "the broker user may not use the bot's exchanges and queues; fix: grant it configure/write/read on `^<amqp.prefix>\\.` in its vhost (rabbitmqctl set_permissions -p VHOST USER '^lsb\\.' '^lsb\\.' '^lsb\\.'), or use another user"
        }
        NOT_ALLOWED => {
            "the vhost in amqp.url (AMQP_URL) does not exist or the user has no access to it; fix: create it (rabbitmqctl add_vhost NAME; set_permissions -p NAME USER ...) or end the URL with /%2f for the default vhost"
        }
        PRECONDITION_FAILED => {
            "a queue of the topology already exists with other arguments (amqp.delivery_limit, shard or delay settings); fix: use a new amqp.prefix for every role, or drain and delete the old queues (deploy/README.md, Upgrading)"
        }
        _ => return None,
    };
    Some(format!("{what} [broker said {code}: {text}]"))
}

/// AMQP 0-9-1 §1.9 `resource-locked`: the queue is exclusive to another connection.
pub const RESOURCE_LOCKED: u16 = 405;

/// The broker's reply code, when `e` is a refusal the broker sent.
pub fn reply_code(e: &lapin::Error) -> Option<u16> {
    match e.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => Some(amqp.get_id()),
        _ => None,
    }
}

/// [`fix_for`] of a lapin error, when it is a broker refusal of that kind.
pub fn fatal_reason(e: &lapin::Error) -> Option<String> {
    match e.kind() {
        lapin::ErrorKind::ProtocolError(amqp) => fix_for(amqp.get_id(), amqp.get_message().as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_login_names_amqp_url_and_how_to_fix_it() {
        let msg = fix_for(403, "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN").expect("fatal");
        assert!(msg.contains("AMQP_URL") && msg.contains("password"), "{msg}");
    }

    #[test]
    fn permissions_vhosts_and_changed_arguments_are_fatal_with_their_fix() {
        assert!(fix_for(403, "ACCESS_REFUSED - access to queue 'lsb.jobs.0' refused").expect("fatal").contains("set_permissions"));
        assert!(fix_for(530, "NOT_ALLOWED - vhost nope not found").expect("fatal").contains("vhost"));
        assert!(fix_for(406, "PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit'").expect("fatal").contains("amqp.prefix"));
    }

    #[test]
    fn transient_errors_are_not_fatal() {
        assert_eq!(fix_for(320, "CONNECTION_FORCED - broker forced connection closure"), None);
        assert_eq!(fix_for(541, "INTERNAL_ERROR"), None);
    }
}
