//! What the nginx images ship in `/etc/nginx`, so that a project that provides only `conf.d` is read with the
//! main file nginx really loads. Written here from the images' documented layout.

/// The main configuration of the official `nginx` image (and `nginxinc/nginx-unprivileged`): everything in
/// `conf.d/*.conf` is included inside `http {}`.
pub const OFFICIAL_NGINX_CONF: &str = "\
user nginx;
worker_processes auto;
error_log /var/log/nginx/error.log notice;
pid /var/run/nginx.pid;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /var/log/nginx/access.log;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
";

/// The official image's `conf.d/default.conf`: a static page on port 80, no upstream.
pub const OFFICIAL_DEFAULT_CONF: &str = "\
server {
    listen 80;
    server_name localhost;
    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }
    error_page 500 502 503 504 /50x.html;
    location = /50x.html {
        root /usr/share/nginx/html;
    }
}
";

/// OpenResty's main file includes the same `conf.d` directory.
pub const OPENRESTY_NGINX_CONF: &str = "\
events {
    worker_connections 1024;
}
http {
    include mime.types;
    default_type application/octet-stream;
    include /etc/nginx/conf.d/*.conf;
}
";

/// Bitnami's image includes its server blocks directory.
pub const BITNAMI_NGINX_CONF: &str = "\
events {
    worker_connections 1024;
}
http {
    include mime.types;
    default_type application/octet-stream;
    include /opt/bitnami/nginx/conf/server_blocks/*.conf;
}
";

/// Files every nginx package ships next to the main file; their content does not matter to us, only that an
/// `include` of them finds something.
pub const SHIPPED_FILES: &[(&str, &str)] = &[
    ("mime.types", "types {\n    text/html html htm;\n}\n"),
    (
        "fastcgi_params",
        "fastcgi_param QUERY_STRING $query_string;\n",
    ),
    (
        "fastcgi.conf",
        "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n",
    ),
    ("uwsgi_params", "uwsgi_param QUERY_STRING $query_string;\n"),
    ("scgi_params", "scgi_param QUERY_STRING $query_string;\n"),
    ("koi-utf", ""),
    ("koi-win", ""),
    ("win-utf", ""),
];

/// The layout of a known nginx image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `nginx`, `nginxinc/nginx-unprivileged`, and images built on them: `/etc/nginx/nginx.conf`, `conf.d`,
    /// templates rendered by the entrypoint.
    Official,
    OpenResty,
    Bitnami,
    /// An image that writes its nginx configuration at run time from container labels or a UI
    /// (nginx-proxy, nginx-proxy-manager, ...): nothing to read in the project.
    Generated,
}

impl Flavor {
    pub fn main_file(self) -> &'static str {
        match self {
            Flavor::Official | Flavor::Generated => "/etc/nginx/nginx.conf",
            Flavor::OpenResty => "/usr/local/openresty/nginx/conf/nginx.conf",
            Flavor::Bitnami => "/opt/bitnami/nginx/conf/nginx.conf",
        }
    }
    pub fn conf_dir(self) -> &'static str {
        match self {
            Flavor::Official | Flavor::Generated => "/etc/nginx",
            Flavor::OpenResty => "/usr/local/openresty/nginx/conf",
            Flavor::Bitnami => "/opt/bitnami/nginx/conf",
        }
    }
    pub fn default_main(self) -> Option<&'static str> {
        match self {
            Flavor::Official => Some(OFFICIAL_NGINX_CONF),
            Flavor::OpenResty => Some(OPENRESTY_NGINX_CONF),
            Flavor::Bitnami => Some(BITNAMI_NGINX_CONF),
            Flavor::Generated => None,
        }
    }
}

/// The layout an image reference implies, if it is an nginx image we know.
pub fn flavor_of_image(image: &str) -> Option<Flavor> {
    let no_digest = image.split('@').next().unwrap_or(image);
    // drop the tag (a `:` after the last `/`; an earlier one belongs to a registry port)
    let slash = no_digest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let repo = match no_digest[slash..].find(':') {
        Some(i) => &no_digest[..slash + i],
        None => no_digest,
    };
    let repo = repo.to_ascii_lowercase();
    let last = repo.rsplit('/').next().unwrap_or(&repo);
    const GENERATED: &[&str] = &[
        "nginx-proxy",
        "nginx-proxy-manager",
        "docker-gen",
        "nginx-proxy-automation",
    ];
    if GENERATED.contains(&last) || repo.contains("nginx-proxy-manager") {
        return Some(Flavor::Generated);
    }
    if last.contains("openresty") {
        return Some(Flavor::OpenResty);
    }
    if repo.starts_with("bitnami/") && last.contains("nginx") {
        return Some(Flavor::Bitnami);
    }
    // only the official image and its unprivileged twin; other `*nginx*` images may bake their own files
    if last == "nginx" || last == "nginx-unprivileged" {
        return Some(Flavor::Official);
    }
    None
}

/// Any image whose name says nginx (or OpenResty): it probably runs nginx, layout unknown.
pub fn looks_like_nginx(image: &str) -> bool {
    let repo = image
        .split('@')
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    let last = repo.rsplit('/').next().unwrap_or(&repo);
    last.contains("nginx") || last.contains("openresty")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_flavors() {
        assert_eq!(flavor_of_image("nginx"), Some(Flavor::Official));
        assert_eq!(flavor_of_image("nginx:1.25-alpine"), Some(Flavor::Official));
        assert_eq!(
            flavor_of_image("docker.io/library/nginx:latest"),
            Some(Flavor::Official)
        );
        assert_eq!(
            flavor_of_image("nginxinc/nginx-unprivileged:stable"),
            Some(Flavor::Official)
        );
        assert_eq!(
            flavor_of_image("localhost:5000/nginx"),
            Some(Flavor::Official)
        );
        assert_eq!(
            flavor_of_image("compose-doctor-test/nginx:1"),
            Some(Flavor::Official)
        );
        assert_eq!(
            flavor_of_image("nginxproxy/nginx-proxy:1.4"),
            Some(Flavor::Generated)
        );
        assert_eq!(
            flavor_of_image("jc21/nginx-proxy-manager:latest"),
            Some(Flavor::Generated)
        );
        assert_eq!(
            flavor_of_image("openresty/openresty:alpine"),
            Some(Flavor::OpenResty)
        );
        assert_eq!(flavor_of_image("bitnami/nginx:1.25"), Some(Flavor::Bitnami));
        assert_eq!(flavor_of_image("postgres:16"), None);
        assert_eq!(flavor_of_image("mycompany/nginx-baked:3"), None);
        assert!(looks_like_nginx("mycompany/nginx-baked:3"));
        assert!(!looks_like_nginx("postgres"));
        assert_eq!(flavor_of_image("mongo"), None);
    }
}
