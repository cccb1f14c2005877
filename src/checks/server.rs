//! What protocol a service speaks, when its command or image says so unambiguously.

use crate::model::ImageInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaks {
    /// Plain HTTP/1 (no TLS): busybox/apache `httpd`, gunicorn/uvicorn/hypercorn without certificates,
    /// `python -m http.server`, `flask run`, `manage.py runserver`, `uwsgi --http`, `php -S`.
    PlainHttp,
    /// FastCGI: `php-fpm`, images named `*-fpm`.
    FastCgi,
    /// The uwsgi binary protocol: `uwsgi --socket` without `--http`.
    Uwsgi,
}

impl Speaks {
    pub fn describe(self) -> &'static str {
        match self {
            Speaks::PlainHttp => "plain HTTP",
            Speaks::FastCgi => "FastCGI",
            Speaks::Uwsgi => "the uwsgi protocol",
        }
    }
}

/// The protocol the service's process speaks, with the words that tell it (for messages).
pub fn speaks(info: &ImageInfo) -> Option<(Speaks, String)> {
    let words: Vec<String> = info
        .argv
        .iter()
        .flat_map(|w| crate::discover::shell::split(w))
        .collect();
    let has = |f: &str| {
        words
            .iter()
            .any(|w| w == f || w.starts_with(&format!("{f}=")))
    };
    for (i, w) in words.iter().enumerate() {
        let prog = w.rsplit('/').next().unwrap_or(w);
        let why = |s: &str| format!("its command runs `{s}`");
        match prog {
            "httpd" | "lighttpd" => return Some((Speaks::PlainHttp, why(prog))),
            "gunicorn" if !has("--certfile") && !has("--keyfile") => {
                return Some((Speaks::PlainHttp, why(prog)));
            }
            "uvicorn" | "hypercorn"
                if !has("--ssl-keyfile") && !has("--certfile") && !has("--keyfile") =>
            {
                return Some((Speaks::PlainHttp, why(prog)));
            }
            "php-fpm" | "php-fpm7" | "php-fpm8" => return Some((Speaks::FastCgi, why(prog))),
            "uwsgi" => {
                if has("--http") || has("--http-socket") || has("--https") {
                    return Some((Speaks::PlainHttp, why("uwsgi --http")));
                }
                if has("--socket") || has("-s") || has("--uwsgi-socket") {
                    return Some((Speaks::Uwsgi, why("uwsgi --socket")));
                }
            }
            "runserver" => return Some((Speaks::PlainHttp, why("manage.py runserver"))),
            "http.server" if i > 0 && words[i - 1] == "-m" => {
                return Some((Speaks::PlainHttp, why("python -m http.server")));
            }
            "flask" if words.get(i + 1).map(String::as_str) == Some("run") && !has("--cert") => {
                return Some((Speaks::PlainHttp, why("flask run")));
            }
            "php" if words.get(i + 1).map(String::as_str) == Some("-S") => {
                return Some((Speaks::PlainHttp, why("php -S")));
            }
            _ => {}
        }
    }
    if let Some(img) = &info.image {
        let repo = img
            .split(':')
            .next()
            .unwrap_or(img)
            .rsplit('/')
            .next()
            .unwrap_or("");
        let tag = img.rsplit_once(':').map(|t| t.1).unwrap_or("");
        if repo.ends_with("-fpm")
            || (repo == "php" && tag.contains("fpm"))
            || repo.contains("php-fpm")
        {
            return Some((Speaks::FastCgi, format!("its image `{img}` runs php-fpm")));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(image: &str, cmd: &str) -> ImageInfo {
        ImageInfo {
            image: (!image.is_empty()).then(|| image.to_string()),
            argv: crate::discover::shell::split(cmd),
            ..Default::default()
        }
    }

    #[test]
    fn protocols() {
        assert_eq!(
            speaks(&info("", "httpd -f -p 8080")).unwrap().0,
            Speaks::PlainHttp
        );
        assert_eq!(
            speaks(&info("", "gunicorn --bind 0.0.0.0:8000 app:app"))
                .unwrap()
                .0,
            Speaks::PlainHttp
        );
        assert!(speaks(&info("", "gunicorn --certfile c --keyfile k app")).is_none());
        assert_eq!(speaks(&info("php:8.2-fpm", "")).unwrap().0, Speaks::FastCgi);
        assert_eq!(
            speaks(&info("", "uwsgi --socket :3031 --module app"))
                .unwrap()
                .0,
            Speaks::Uwsgi
        );
        assert_eq!(
            speaks(&info("", "uwsgi --http :8080 --module app"))
                .unwrap()
                .0,
            Speaks::PlainHttp
        );
        assert!(speaks(&info("node:20", "npm start")).is_none());
    }
}
