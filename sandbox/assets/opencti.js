// sforce.opencti for the callpop local org: our own implementation of Salesforce's Lightning Open CTI library,
// written from the documented message protocol (opencti.md §10), not copied. The softphone loads it from the org's
// origin; each call becomes a postMessage to the parent page, each answer comes back to the registered callback.
(function () {
  'use strict';
  var API_VERSION = /*API_VERSION*/0;
  // The real library accepts only Salesforce's domains; the local org also accepts its own origin.
  var ORG_ORIGIN = /*ORG_ORIGIN*/"";
  var SALESFORCE_ORIGIN = /^http[s]?:\/\/[\w-.]+(\.((my-)?visual)?force\.com|\.my-lightning\.com|\.(my-)?salesforce\.com|\.(salesforce|crmforce)\.(mil|ms))(:\d+)?$/;
  var INIT_ERROR = 'Failed to initialize Open CTI. Ensure that it is loaded from the right frame with correct URL parameters';

  var query = new URLSearchParams(window.location.search);
  var targetOrigin = query.get('sfdcIframeOrigin');
  var mode = query.get('mode');
  if (!targetOrigin || !mode || !(SALESFORCE_ORIGIN.test(targetOrigin) || targetOrigin === ORG_ORIGIN)) {
    throw new Error(INIT_ERROR);
  }
  if (new URL(targetOrigin).protocol !== window.location.protocol) {
    throw new Error(INIT_ERROR);
  }

  var nextCallId = 0;
  var callbacks = {};
  var listeners = {};

  window.addEventListener('message', function (event) {
    if (event.origin !== targetOrigin) return;
    var data = event.data;
    if (!data || data.apiType !== 'opencti' || data.apiVersion !== API_VERSION) return;
    if (data.shouldExecuteCallback) {
      var key = data.methodName + ':' + data.callId;
      var callback = callbacks[key];
      delete callbacks[key];
      if (callback) callback(data.response);
    } else if (data.shouldExecuteListener) {
      (listeners[data.methodName] || []).forEach(function (listener) { listener(data.response); });
    }
  });

  function send(methodName, args, callback, listener) {
    var callId = nextCallId++;
    if (callback) callbacks[methodName + ':' + callId] = callback;
    if (listener) (listeners[methodName] = listeners[methodName] || []).push(listener);
    window.parent.postMessage({
      methodName: methodName, callId: callId, apiVersion: API_VERSION, apiType: 'opencti',
      isCallbackRegistered: Boolean(callback), isListenerRegistered: Boolean(listener), args: args,
    }, targetOrigin);
  }

  // kind: 'optional' callback, 'callback' required, 'listener' required. pick: the argument names sent on.
  function method(name, kind, pick) {
    return function (options) {
      if (arguments.length !== 1 || typeof options !== 'object' || options === null) {
        throw new Error('Must pass in only one object which holds arguments to this API method call.');
      }
      if (kind === 'callback' && typeof options.callback !== 'function') {
        throw new Error('Missing the required argument `callback`!');
      }
      if (kind === 'listener' && typeof options.listener !== 'function') {
        throw new Error('Missing the required argument `listener`!');
      }
      var args = {};
      (pick || []).forEach(function (field) { if (options[field] !== undefined) args[field] = options[field]; });
      send(name, args, typeof options.callback === 'function' ? options.callback : null,
        kind === 'listener' ? options.listener : null);
    };
  }

  function saveLog(options) {
    if (arguments.length !== 1 || typeof options !== 'object' || options === null) {
      throw new Error('Must pass in only one object which holds arguments to this API method call.');
    }
    if (typeof options.value !== 'object' || options.value === null) {
      throw new Error('Missing the required argument `value object`!');
    }
    send('saveLog', { object: options.value }, typeof options.callback === 'function' ? options.callback : null, null);
  }

  window.sforce = window.sforce || {};
  window.sforce.opencti = {
    SCREENPOP_TYPE: { URL: 'url', SOBJECT: 'sobject', OBJECTHOME: 'objecthome', LIST: 'list', SEARCH: 'search', NEW_RECORD_MODAL: 'newRecord', FLOW: 'flow' },
    CALL_TYPE: { INBOUND: 'inbound', OUTBOUND: 'outbound', INTERNAL: 'internal' },
    setSoftphonePanelVisibility: method('setSoftphonePanelVisibility', 'optional', ['visible']),
    isSoftphonePanelVisible: method('isSoftphonePanelVisible', 'callback', []),
    screenPop: method('screenPop', 'optional', ['type', 'params']),
    searchAndScreenPop: method('searchAndScreenPop', 'callback', ['searchParams', 'callType', 'queryParams', 'defaultFieldValues', 'deferred', 'params']),
    getAppViewInfo: method('getAppViewInfo', 'callback', []),
    saveLog: saveLog,
    refreshView: method('refreshView', 'optional', []),
    notifyInitializationComplete: method('notifyInitializationComplete', 'optional', []),
    setSoftphoneItemLabel: method('setSoftphoneItemLabel', 'optional', ['label']),
    setSoftphonePanelLabel: method('setSoftphonePanelLabel', 'optional', ['label']),
    setSoftphoneItemIcon: method('setSoftphoneItemIcon', 'optional', ['key']),
    setSoftphonePanelIcon: method('setSoftphonePanelIcon', 'optional', ['key']),
    setSoftphonePanelHeight: method('setSoftphonePanelHeight', 'optional', ['heightPX']),
    setSoftphonePanelWidth: method('setSoftphonePanelWidth', 'optional', ['widthPX']),
    getCallCenterSettings: method('getCallCenterSettings', 'callback', []),
    getSoftphoneLayout: method('getSoftphoneLayout', 'callback', []),
    enableClickToDial: method('enableClickToDial', 'optional', []),
    disableClickToDial: method('disableClickToDial', 'optional', []),
    onClickToDial: method('onClickToDial', 'listener', []),
    onNavigationChange: method('onNavigationChange', 'listener', []),
    runApex: method('runApex', 'callback', ['apexClass', 'methodName', 'methodParams']),
  };
})();
