//! The physical limit of llm-warden's design, for `scripts/bench.sh`: a filter that drops
//! `content-length`, buffers each body to its end and copies it into the VM, exactly as
//! llm-warden does, then forwards it untouched. The difference between this and llm-warden
//! is the engine's own cost.
//!
//! For experiments on how the module's own work slows Envoy's (issue #10), the plugin config
//! may ask the request body callback to burn CPU without touching memory (`{"spin": N}`: N
//! rounds of register arithmetic) or to walk a buffer it keeps (`{"touch_kib": K}`: one write
//! per 64-byte line over K KiB). The benchmarks' B runs with `{}`: neither.

#[cfg(target_arch = "wasm32")]
mod filter {
    use proxy_wasm::hostcalls;
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType};

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Warn);
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
    }}

    #[derive(Default, Clone, Copy)]
    struct Root {
        work: Work,
    }

    /// Extra work per request, from the plugin config (see the module docs).
    #[derive(Default, Clone, Copy)]
    struct Work {
        spin: u64,
        touch_kib: usize,
    }

    impl Work {
        /// Reads `"spin": N` and `"touch_kib": K` from a flat JSON object; absent means 0.
        /// (No JSON parser and no `format!`: this module stays the baseline's size.)
        fn parse(config: &[u8]) -> Work {
            let number = |key: &[u8]| -> u64 {
                let Some(at) = config.windows(key.len()).position(|w| w == key) else {
                    return 0;
                };
                config
                    .iter()
                    .skip(at + key.len())
                    .skip_while(|b| matches!(b, b'"' | b':' | b' '))
                    .take_while(|b| b.is_ascii_digit())
                    .fold(0u64, |n, b| {
                        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
                    })
            };
            Work {
                spin: number(b"\"spin\""),
                touch_kib: usize::try_from(number(b"\"touch_kib\"")).unwrap_or(0),
            }
        }

        fn run(self) {
            let mut x = std::hint::black_box(1u64);
            for _ in 0..self.spin {
                x = (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            }
            std::hint::black_box(x);
            if self.touch_kib > 0 {
                thread_local! {
                    static AREA: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
                }
                AREA.with(|a| {
                    let mut a = a.borrow_mut();
                    a.resize(self.touch_kib.saturating_mul(1024), 0);
                    for line in a.chunks_mut(64) {
                        if let Some(b) = line.first_mut() {
                            *b = b.wrapping_add(1);
                        }
                    }
                    std::hint::black_box(a.len());
                });
            }
        }
    }

    impl Context for Root {}
    impl RootContext for Root {
        fn on_configure(&mut self, size: usize) -> bool {
            let config = hostcalls::get_buffer(BufferType::PluginConfiguration, 0, size)
                .ok()
                .flatten()
                .unwrap_or_default();
            self.work = Work::parse(&config);
            true
        }
        fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
            Some(Box::new(Flow { work: self.work }))
        }
        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    struct Flow {
        work: Work,
    }
    impl Context for Flow {}

    /// Reads the whole buffered body into the VM (the copy llm-warden pays) and discards it.
    fn read(buffer: BufferType) -> usize {
        hostcalls::get_buffer(buffer, 0, usize::MAX)
            .ok()
            .flatten()
            .map_or(0, |b| b.len())
    }

    impl HttpContext for Flow {
        fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
            let _ = hostcalls::set_map_value(MapType::HttpRequestHeaders, "content-length", None);
            Action::Continue
        }
        fn on_http_request_body(&mut self, _: usize, end_of_stream: bool) -> Action {
            if !end_of_stream {
                return Action::Pause;
            }
            std::hint::black_box(read(BufferType::HttpRequestBody));
            self.work.run();
            Action::Continue
        }
        fn on_http_response_headers(&mut self, _: usize, _: bool) -> Action {
            let _ = hostcalls::set_map_value(MapType::HttpResponseHeaders, "content-length", None);
            Action::Continue
        }
        fn on_http_response_body(&mut self, _: usize, end_of_stream: bool) -> Action {
            if !end_of_stream {
                return Action::Pause;
            }
            std::hint::black_box(read(BufferType::HttpResponseBody));
            Action::Continue
        }
    }
}
