//! Each subcommand's flags turned into the library's option types: the one place the
//! command line meets the server, the clients, `decode` and `check`.

use std::time::Duration;

use seam_native::check::CheckOptions;
use seam_native::client::options::{
    ChatOptions, ClientOptions, ExecOptions, GetOptions, LsOptions, PutOptions, RmOptions,
    SendOptions, TlsOptions, UdpSendOptions,
};
use seam_native::decode::{DecodeOptions, Direction};
use seam_native::server::Config;

use super::{
    ChatArgs, CheckArgs, ClientArgs, ClientTlsArgs, DecodeArgs, DirectionChoice, ExecArgs, GetArgs,
    LsArgs, PutArgs, RmArgs, SendArgs, ServeArgs, UdpSendArgs,
};

impl From<ServeArgs> for Config {
    fn from(args: ServeArgs) -> Config {
        Config {
            listen: args.listen,
            root: args.root,
            store: args.store,
            token: args.token,
            insecure: args.insecure,
            tls: args.tls,
            tls_cert: args.tls_cert,
            tls_key: args.tls_key,
            state_dir: args.state_dir,
            max_conns: args.max_conns,
            max_chat: args.max_chat,
            idle_timeout: Duration::from_secs(args.idle_timeout),
            max_upload: args.max_upload,
            partial_ttl: Duration::from_secs_f64(args.partial_ttl),
            max_partial_bytes: args.max_partial_bytes,
            trace: args.trace,
            web: args.web,
            web_dir: args.web_dir,
            allow_exec: args.allow_exec,
            exec_timeout: Duration::from_secs_f64(args.exec_timeout),
            exec_output_cap: args.exec_output_cap,
            exec_max_running: args.exec_max_running,
            udp: args.udp,
            tutorial: args.tutorial,
        }
    }
}

impl From<ClientArgs> for ClientOptions {
    fn from(args: ClientArgs) -> ClientOptions {
        ClientOptions {
            server: args.server,
            token: args.token,
            quiet: args.quiet,
            json: args.json,
            trace: args.trace,
            secure: args.secure.into(),
        }
    }
}

impl From<ClientTlsArgs> for TlsOptions {
    fn from(args: ClientTlsArgs) -> TlsOptions {
        TlsOptions {
            tls: args.tls,
            fingerprint: args.fingerprint,
            tls_ca: args.tls_ca,
            handshake_timeout: args.handshake_timeout,
            insecure: args.insecure,
        }
    }
}

impl From<PutArgs> for PutOptions {
    fn from(args: PutArgs) -> PutOptions {
        PutOptions {
            files: args.files,
            name: args.name,
            resume: args.resume,
            force: args.force,
            dialect: args.dialect,
            client: args.client.into(),
        }
    }
}

impl From<GetArgs> for GetOptions {
    fn from(args: GetArgs) -> GetOptions {
        GetOptions {
            names: args.names,
            output: args.output,
            resume: args.resume,
            force: args.force,
            client: args.client.into(),
        }
    }
}

impl From<LsArgs> for LsOptions {
    fn from(args: LsArgs) -> LsOptions {
        LsOptions {
            partial: args.partial,
            client: args.client.into(),
        }
    }
}

impl From<RmArgs> for RmOptions {
    fn from(args: RmArgs) -> RmOptions {
        RmOptions {
            name: args.name,
            partial: args.partial,
            client: args.client.into(),
        }
    }
}

impl From<ExecArgs> for ExecOptions {
    fn from(args: ExecArgs) -> ExecOptions {
        ExecOptions {
            argv: args.argv,
            dialect: args.dialect,
            client: args.client.into(),
        }
    }
}

impl From<SendArgs> for SendOptions {
    fn from(args: SendArgs) -> SendOptions {
        SendOptions {
            text: args.text,
            dialect: args.dialect,
            client: args.client.into(),
        }
    }
}

impl From<ChatArgs> for ChatOptions {
    fn from(args: ChatArgs) -> ChatOptions {
        ChatOptions {
            name: args.name,
            client: args.client.into(),
        }
    }
}

impl From<UdpSendArgs> for UdpSendOptions {
    fn from(args: UdpSendArgs) -> UdpSendOptions {
        UdpSendOptions {
            text: args.text,
            to: args.to,
            recv_buffer: args.recv_buffer,
            timeout: args.timeout,
            json: args.json,
            dialect: args.dialect,
        }
    }
}

impl From<CheckArgs> for CheckOptions {
    fn from(args: CheckArgs) -> CheckOptions {
        CheckOptions {
            dialect: args.dialect,
            addr: args.addr,
            stored: args.stored,
            json: args.json,
            seed: args.seed,
            timeout: args.timeout,
            command: args.command,
        }
    }
}

impl From<DecodeArgs> for DecodeOptions {
    fn from(args: DecodeArgs) -> DecodeOptions {
        DecodeOptions {
            framing: args.framing.framing(),
            input: args.input,
            cut: args.cut,
            pcap: args.pcap,
            streams: args.streams,
            direction: match args.direction {
                DirectionChoice::Client => Direction::Client,
                DirectionChoice::Server => Direction::Server,
                DirectionChoice::Both => Direction::Both,
            },
        }
    }
}
