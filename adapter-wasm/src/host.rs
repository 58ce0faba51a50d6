//! `BrowserHost`: core's `Host` over the browser. Open CTI calls go to the Salesforce library, requests to the
//! callpop server, views to the DOM. Results come back later, as events, through `crate::dispatch`.

use crate::{opencti, resume, server, ui};
use callpop_core::adapter::{Host, ToServer, ViewChange};
use callpop_core::open_cti::{OpenCtiCall, Ui};

#[derive(Debug)]
pub(crate) struct BrowserHost {
    ui: Ui,
}

impl BrowserHost {
    pub(crate) fn new(ui: Ui) -> Self {
        Self { ui }
    }
}

impl Host for BrowserHost {
    fn open_cti(&mut self, call_id: &str, call: OpenCtiCall) {
        opencti::perform(self.ui, call_id, call);
    }

    fn send(&mut self, request: ToServer) {
        server::send(request);
    }

    fn render(&mut self, change: &ViewChange) {
        ui::render(change);
        if let Some(resume) = &change.resume {
            resume::save(resume);
        }
    }
}
