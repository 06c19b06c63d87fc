//! The physical limit of llm-warden's design, for `scripts/bench.sh`: a filter that drops
//! `content-length`, buffers each body to its end and copies it into the VM, exactly as
//! llm-warden does, then forwards it untouched. The difference between this and llm-warden
//! is the engine's own cost.

#[cfg(target_arch = "wasm32")]
mod filter {
    use proxy_wasm::hostcalls;
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType};

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Warn);
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root) });
    }}

    struct Root;
    impl Context for Root {}
    impl RootContext for Root {
        fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
            Some(Box::new(Flow))
        }
        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }
    }

    struct Flow;
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
