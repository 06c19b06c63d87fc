//! Host calls that cannot panic.
//!
//! The proxy-wasm SDK's wrappers `panic!` on any status they do not expect and `unwrap` UTF-8
//! conversions of header values. A client controls header bytes, and a panic aborts the VM;
//! under FAIL_CLOSED every later request on that worker then gets 503. One request with a
//! `\xff` in a header did exactly that (see tests/e2e/test_failures.py). So the glue declares
//! the ABI imports it uses itself, reads bytes, converts lossily, and returns every status as a
//! value.
//!
//! Memory: the host returns data in buffers it allocated through the SDK's exported
//! `proxy_on_memory_allocate` (a boxed `[u8]` of exactly `size` bytes), so each is taken back
//! with `Vec::from_raw_parts(ptr, size, size)`, as the SDK itself does.

use std::ptr::null_mut;

/// A status the host returned (proxy-wasm ABI `WasmResult`); 0 is Ok.
pub type Status = u32;
const OK: Status = 0;

#[derive(Clone, Copy)]
#[repr(u32)]
pub enum Map {
    RequestHeaders = 0,
    ResponseHeaders = 2,
}

#[derive(Clone, Copy)]
#[repr(u32)]
pub enum Buffer {
    RequestBody = 0,
    ResponseBody = 1,
    PluginConfiguration = 7,
}

#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_get_header_map_value(
        map: u32,
        key: *const u8,
        key_size: usize,
        value: *mut *mut u8,
        value_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_pairs(map: u32, data: *mut *mut u8, size: *mut usize) -> u32;
    fn proxy_replace_header_map_value(
        map: u32,
        key: *const u8,
        key_size: usize,
        value: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map: u32, key: *const u8, key_size: usize) -> u32;
    fn proxy_get_buffer_bytes(
        buffer: u32,
        start: usize,
        max_size: usize,
        data: *mut *mut u8,
        size: *mut usize,
    ) -> u32;
    fn proxy_set_buffer_bytes(
        buffer: u32,
        start: usize,
        size: usize,
        data: *const u8,
        data_size: usize,
    ) -> u32;
    fn proxy_get_property(
        path: *const u8,
        path_size: usize,
        value: *mut *mut u8,
        value_size: *mut usize,
    ) -> u32;
    fn proxy_set_property(
        path: *const u8,
        path_size: usize,
        value: *const u8,
        value_size: usize,
    ) -> u32;
    #[allow(clippy::too_many_arguments)] // the ABI's shape
    fn proxy_send_local_response(
        status: u32,
        details: *const u8,
        details_size: usize,
        body: *const u8,
        body_size: usize,
        headers: *const u8,
        headers_size: usize,
        grpc_status: i32,
    ) -> u32;
    fn proxy_define_metric(kind: u32, name: *const u8, name_size: usize, id: *mut u32) -> u32;
    fn proxy_increment_metric(id: u32, offset: i64) -> u32;
    fn proxy_get_log_level(level: *mut u32) -> u32;
    fn proxy_close_stream(stream: u32) -> u32;
}

/// Takes ownership of a host-allocated buffer.
fn take(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        return Vec::new();
    }
    // SAFETY: the host allocated `size` bytes at `data` through proxy_on_memory_allocate
    // (a boxed slice of exactly `size`) and handed ownership to us.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

fn result(status: Status) -> Result<(), Status> {
    if status == OK {
        Ok(())
    } else {
        Err(status)
    }
}

/// A header's raw value; `None` when absent or unreadable.
pub fn header_bytes(map: Map, name: &str) -> Option<Vec<u8>> {
    let (mut data, mut size) = (null_mut(), 0);
    // SAFETY: pointers to live locals and to `name`'s bytes for the call's duration.
    let status = unsafe {
        proxy_get_header_map_value(map as u32, name.as_ptr(), name.len(), &mut data, &mut size)
    };
    let value = take(data, size);
    (status == OK).then_some(value)
}

/// A header's value as text (invalid UTF-8 replaced), empty when absent.
pub fn header(map: Map, name: &str) -> String {
    header_bytes(map, name)
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .unwrap_or_default()
}

/// All headers, values as lossy text. Malformed serialisations yield what parsed.
pub fn headers(map: Map) -> Vec<(String, String)> {
    let (mut data, mut size) = (null_mut(), 0);
    // SAFETY: as in `header_bytes`.
    let status = unsafe { proxy_get_header_map_pairs(map as u32, &mut data, &mut size) };
    let bytes = take(data, size);
    if status != OK {
        return Vec::new();
    }
    crate::pairs::deserialize(&bytes)
}

/// Sets (`Some`) or removes (`None`) a header.
pub fn set_header(map: Map, name: &str, value: Option<&str>) -> Result<(), Status> {
    // SAFETY: pointers to `name`/`value` bytes for the call's duration.
    let status = unsafe {
        match value {
            Some(v) => proxy_replace_header_map_value(
                map as u32,
                name.as_ptr(),
                name.len(),
                v.as_ptr(),
                v.len(),
            ),
            None => proxy_remove_header_map_value(map as u32, name.as_ptr(), name.len()),
        }
    };
    result(status)
}

/// Up to `max` bytes of a buffer from the start; empty when absent.
pub fn buffer(buffer: Buffer, max: usize) -> Vec<u8> {
    let (mut data, mut size) = (null_mut(), 0);
    // SAFETY: as in `header_bytes`.
    let status = unsafe { proxy_get_buffer_bytes(buffer as u32, 0, max, &mut data, &mut size) };
    let bytes = take(data, size);
    if status == OK {
        bytes
    } else {
        Vec::new()
    }
}

/// Replaces the first `size` bytes of a buffer with `data`.
pub fn set_buffer(buffer: Buffer, size: usize, data: &[u8]) -> Result<(), Status> {
    // SAFETY: `data` is live for the call.
    result(unsafe { proxy_set_buffer_bytes(buffer as u32, 0, size, data.as_ptr(), data.len()) })
}

fn property_path(path: &[&str]) -> Vec<u8> {
    path.join("\0").into_bytes()
}

/// A property's raw value (`None` when absent or unreadable: `filter_state` paths, for one,
/// answer SerializationFailure).
pub fn property(path: &[&str]) -> Option<Vec<u8>> {
    let key = property_path(path);
    let (mut data, mut size) = (null_mut(), 0);
    // SAFETY: as in `header_bytes`.
    let status = unsafe { proxy_get_property(key.as_ptr(), key.len(), &mut data, &mut size) };
    let value = take(data, size);
    (status == OK && !value.is_empty()).then_some(value)
}

/// Sets a property. Envoy stores it as filter state `wasm.<path>`, which access logs can print
/// with `%FILTER_STATE(wasm.<path>:PLAIN)%`.
pub fn set_property(path: &[&str], value: &[u8]) -> Result<(), Status> {
    let key = property_path(path);
    // SAFETY: `key` and `value` are live for the call.
    result(unsafe { proxy_set_property(key.as_ptr(), key.len(), value.as_ptr(), value.len()) })
}

/// Answers the request locally (Envoy builds the response; the stream stops here).
pub fn send_response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Result<(), Status> {
    let headers = crate::pairs::serialize(headers);
    let details = b"llm_warden";
    // SAFETY: all pointers reference live locals for the call.
    result(unsafe {
        proxy_send_local_response(
            u32::from(status),
            details.as_ptr(),
            details.len(),
            body.as_ptr(),
            body.len(),
            headers.as_ptr(),
            headers.len(),
            -1,
        )
    })
}

/// Defines a counter; returns its id.
pub fn define_counter(name: &str) -> Result<u32, Status> {
    let mut id = 0u32;
    // SAFETY: `name` and `id` are live for the call.
    let status = unsafe { proxy_define_metric(0, name.as_ptr(), name.len(), &mut id) };
    result(status).map(|()| id)
}

pub fn increment(id: u32, by: i64) -> Result<(), Status> {
    // SAFETY: plain values.
    result(unsafe { proxy_increment_metric(id, by) })
}

/// Envoy's log level for this plugin (0 trace … 5 critical), so the plugin formats only what
/// Envoy will print.
pub fn log_level() -> Option<u32> {
    let mut level = 0u32;
    // SAFETY: `level` is live for the call.
    let status = unsafe { proxy_get_log_level(&mut level) };
    (status == OK).then_some(level)
}

/// Resets the downstream response stream (after headers were sent, the only way to stop it).
pub fn reset_response() -> Result<(), Status> {
    // SAFETY: plain value; 1 = HttpResponse.
    result(unsafe { proxy_close_stream(1) })
}
